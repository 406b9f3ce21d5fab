import CompressNIO
import Foundation
import NIOCore

/// Arrays from a NumPy `.npz` file (`np.savez` or `np.savez_compressed`): a zip archive of
/// `.npy` files, stored or deflated, with zip64 sizes where numpy writes them.
public struct NPZFile: Sendable {
    public struct Array: Sendable {
        public var shape: [Int]
        /// The values as doubles (float32, float64, integer and bool arrays all fit exactly
        /// enough for pixels and labels).
        public var values: [Double]
    }

    public let path: String
    public let arrays: [String: Array]
    /// Arrays of a type this reader does not decode (class-name strings, say), with their dtype.
    public let undecoded: [String: String]

    public init(contentsOf path: String) throws(DatasetError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(file: path, reason: "file not found")
        }
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> DatasetError { DatasetError(file: path, reason: reason) }
        func u16(_ at: Int) throws(DatasetError) -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw fail("not a zip archive (truncated)") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws(DatasetError) -> Int { try (u16(at) | u16(at + 2) << 16) }
        func u64(_ at: Int) throws(DatasetError) -> Int { try (u32(at) | u32(at + 4) << 32) }

        // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
        var end = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 65_557) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4b, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 {
                end = i
                break
            }
            i -= 1
        }
        guard end >= 0 else { throw fail("not an .npz (zip) file: no end of central directory") }
        var entries = try u16(end + 10)
        var directory = try u32(end + 16)
        if entries == 0xFFFF || directory == 0xFFFF_FFFF {
            // Zip64: the locator just before points at the zip64 end record.
            let record = try u64(end - 20 + 8)
            entries = try u64(record + 32)
            directory = try u64(record + 48)
        }
        var arrays: [String: Array] = [:]
        var undecoded: [String: String] = [:]
        var offset = directory
        for _ in 0..<entries {
            guard try u32(offset) == 0x0201_4b50 else { throw fail("corrupt zip central directory") }
            let method = try u16(offset + 10)
            var compressed = try u32(offset + 20)
            var size = try u32(offset + 24)
            let nameLength = try u16(offset + 28)
            let extraLength = try u16(offset + 30)
            let commentLength = try u16(offset + 32)
            var local = try u32(offset + 42)
            guard offset + 46 + nameLength <= bytes.count else { throw fail("corrupt zip central directory") }
            let name = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let (id, length) = (try u16(extra), try u16(extra + 2))
                if id == 1 {
                    // Zip64 extended information: only the fields that overflowed, in this order.
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = try u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(field); field += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(field) }
                }
                extra += 4 + length
            }
            offset = extraEnd + commentLength
            guard try u32(local) == 0x0403_4b50 else { throw fail("corrupt zip entry '\(name)'") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + compressed <= bytes.count else { throw fail("zip entry '\(name)' is truncated") }
            let raw = bytes[start..<(start + compressed)]
            let content: [UInt8]
            switch method {
            case 0: content = [UInt8](raw)
            case 8:
                var input = ByteBuffer(bytes: raw)
                var output = ByteBufferAllocator().buffer(capacity: size)
                do {
                    try input.decompress(to: &output, with: .deflate())
                } catch {
                    throw fail("zip entry '\(name)' is corrupt (\(error))")
                }
                content = output.readBytes(length: output.readableBytes) ?? []
            default: throw fail("zip entry '\(name)' uses compression method \(method); save with np.savez or np.savez_compressed")
            }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            switch try Self.npy(content, name: name, fail: fail) {
            case .success(let array): arrays[key] = array
            case .failure(let dtype): undecoded[key] = dtype.descr
            }
        }
        self.arrays = arrays
        self.undecoded = undecoded
    }

    /// Parses one `.npy` file: magic, version, a Python-literal header, then C-order data.
    struct UnsupportedType: Error {
        var descr: String
    }

    /// The array, or its dtype when it is not numeric.
    private static func npy(
        _ bytes: [UInt8], name: String, fail: (String) -> DatasetError
    ) throws(DatasetError) -> Result<Array, UnsupportedType> {
        guard bytes.count >= 10, bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else {
            throw fail("'\(name)' is not a .npy array")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        guard headerStart + headerLength <= bytes.count else { throw fail("'\(name)': truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return header[range.upperBound...].drop { $0 == " " }
        }
        guard let descrField = field("descr"), descrField.first == "'" else { throw fail("'\(name)': header has no descr") }
        let descr = descrField.dropFirst().prefix { $0 != "'" }
        if let fortran = field("fortran_order"), fortran.hasPrefix("True") {
            throw fail("'\(name)' is in Fortran order; save a C-order array (np.ascontiguousarray)")
        }
        guard let shapeField = field("shape"), shapeField.first == "(" else { throw fail("'\(name)': header has no shape") }
        let shape = shapeField.dropFirst().prefix { $0 != ")" }.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        let count = shape.reduce(1, *)
        let data = headerStart + headerLength
        let widths = ["<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "<i2": 2, "|u1": 1, "|b1": 1, "|i1": 1]
        guard let width = widths[String(descr)] else { return .failure(UnsupportedType(descr: String(descr))) }
        guard data + count * width <= bytes.count else { throw fail("'\(name)': data is shorter than its shape \(shape)") }
        var values = [Double](repeating: 0, count: count)
        // Whole-word loads, bounds-checked by the span, keep the loop tight over tens of millions
        // of values. Any bit pattern is a valid integer, so the loads are safe whatever the file holds.
        let raw = bytes.span.bytes.extracting(data..<(data + count * width))
        func word<T: FixedWidthInteger & BitwiseCopyable>(_ k: Int, _: T.Type) -> T {
            T(littleEndian: unsafe raw.unsafeLoadUnaligned(fromByteOffset: k * MemoryLayout<T>.size, as: T.self))
        }
        switch descr {
        case "<f4": for k in 0..<count { values[k] = Double(Float(bitPattern: word(k, UInt32.self))) }
        case "<f8": for k in 0..<count { values[k] = Double(bitPattern: word(k, UInt64.self)) }
        case "<i8": for k in 0..<count { values[k] = Double(word(k, Int64.self)) }
        case "<i4": for k in 0..<count { values[k] = Double(word(k, Int32.self)) }
        case "<i2": for k in 0..<count { values[k] = Double(word(k, Int16.self)) }
        case "|i1": for k in 0..<count { values[k] = Double(word(k, Int8.self)) }
        default: for k in 0..<count { values[k] = Double(word(k, UInt8.self)) }
        }
        return .success(Array(shape: shape, values: values))
    }
}
