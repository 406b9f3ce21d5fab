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
    mutating func takeFloats(count: Int) -> Result<[Float], NonFinite> {
        precondition(count * 4 <= remaining, "not enough binary data")
        var floats: [Float] = []
        floats.reserveCapacity(count)
        var offset = bytes.startIndex + consumed
        for index in 0..<count {
            let bits =
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            let value = Float(bitPattern: bits)
            guard value.isFinite else { return .failure(NonFinite(index: index, value: value)) }
            floats.append(value)
            offset += 4
        }
        consumed += count * 4
        return .success(floats)
    }
}
