/// The binary part of a request (after the JSON header), handed out to inputs in order.
struct BinaryTensors {
    let bytes: ArraySlice<UInt8>
    private(set) var consumed = 0

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - consumed }

    /// A non-finite element and where it is.
    struct NonFinite: Error {
        var index: Int
        var value: Float
    }

    /// Reads `count` little-endian FP32 values; the caller has checked that `4 * count` bytes remain.
    ///
    /// One pass straight into the result, the finiteness check fused in; the bytes are read through
    /// a `Span`, whose bounds checks the compiler can hoist out of the loop.
    mutating func takeFloats(count: Int) -> Result<[Float], NonFinite> {
        precondition(count * 4 <= remaining, "not enough binary data")
        let floats = Self.floats(bytes.span.extracting(consumed..<(consumed + count * 4)), count: count)
        if case .success = floats { consumed += count * 4 }
        return floats
    }

    private static func floats(_ span: Span<UInt8>, count: Int) -> Result<[Float], NonFinite> {
        var floats = [Float](repeating: 0, count: count)
        var output = floats.mutableSpan
        for index in 0..<count {
            let offset = index * 4
            let bits =
                UInt32(span[offset]) | UInt32(span[offset + 1]) << 8
                | UInt32(span[offset + 2]) << 16 | UInt32(span[offset + 3]) << 24
            let value = Float(bitPattern: bits)
            guard value.isFinite else { return .failure(NonFinite(index: index, value: value)) }
            output[index] = value
        }
        return .success(floats)
    }
}
