import Foundation
import ZenithJSON

/// A parsed safetensors file: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// Every range is checked against the file before any tensor is read, so a truncated or
/// inconsistent file is an error naming the tensor, never an out-of-bounds read.
public struct SafeTensors: Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

        var byteSize: Int {
            switch self {
            case .f64, .i64: 8
            case .f32, .i32: 4
            case .u8, .bool: 1
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the data section.
        var range: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let data: [UInt8]
    private let dataStart: Int

    /// The largest header accepted; real headers are a few kilobytes.
    static let maxHeaderBytes = 16 << 20

    public init(contentsOf path: String) throws(ModelLoadError) {
        guard let contents = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ModelLoadError(file: path, reason: exists ? "cannot be read" : "file not found")
        }
        try self.init(bytes: [UInt8](contents), path: path)
    }

    public init(bytes: [UInt8], path: String) throws(ModelLoadError) {
        func fail(_ reason: String) -> ModelLoadError { ModelLoadError(file: path, reason: reason) }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, too short for the 8-byte safetensors header length")
        }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, headerLength <= Self.maxHeaderBytes else {
            throw fail("header length \(headerLength) is not plausible (not a safetensors file?)")
        }
        guard 8 + headerLength <= bytes.count else {
            throw fail("header claims \(headerLength) bytes but the file has only \(bytes.count - 8) after the length (truncated?)")
        }
        let header: JSONValue
        do {
            header = try JSONValue(parsing: bytes[8..<(8 + headerLength)])
        } catch {
            throw fail("header is not valid JSON: \(error)")
        }
        guard let object = header.objectValue else { throw fail("header is not a JSON object") }

        let dataSize = bytes.count - 8 - headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object.entries {
            if name == "__metadata__" {
                for (key, item) in value.objectValue?.entries ?? [] {
                    metadata[key] = item.stringValue
                }
                continue
            }
            guard let dtypeName = value["dtype"]?.stringValue else { throw fail("tensor '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            guard let shape = value["shape"]?.arrayValue?.compactMap(\.intValue),
                shape.count == value["shape"]?.arrayValue?.count, shape.allSatisfy({ $0 >= 0 })
            else { throw fail("tensor '\(name)' has no valid shape") }
            guard let offsets = value["data_offsets"]?.arrayValue?.compactMap(\.intValue), offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1]
            else { throw fail("tensor '\(name)' has no valid data_offsets") }
            guard offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' needs data bytes \(offsets[0])..<\(offsets[1]) but the file holds \(dataSize) (truncated?)")
            }
            // The byte count, not only the element count, can overflow: start from the dtype's size.
            let (byteCount, overflow) = shape.reduce((dtype.byteSize, false)) { acc, d in
                let (product, o) = acc.0.multipliedReportingOverflow(by: d)
                return (product, acc.1 || o)
            }
            guard !overflow, byteCount == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)' has shape \(shape) (\(dtypeName)) but \(offsets[1] - offsets[0]) bytes of data")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.path = path
        self.entries = entries
        self.metadata = metadata
        self.data = bytes
        self.dataStart = 8 + headerLength
    }

    public func entry(_ name: String) throws(ModelLoadError) -> Entry {
        guard let entry = entries[name] else {
            throw ModelLoadError(file: path, reason: "tensor '\(name)' is missing")
        }
        return entry
    }

    /// The F32 tensor `name`, checked against `shape` when one is given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(ModelLoadError) -> [Float] {
        let entry = try entry(name)
        guard entry.dtype == .f32 else {
            throw ModelLoadError(file: path, reason: "tensor '\(name)' is \(entry.dtype.rawValue), expected F32")
        }
        if let expected, expected != entry.shape {
            throw ModelLoadError(file: path, reason: "tensor '\(name)' has shape \(entry.shape), expected \(expected)")
        }
        return read(entry, as: Float.self)
    }

    /// An integer tensor (I64, I32, U8 or BOOL) widened to `Int`.
    public func integers(_ name: String) throws(ModelLoadError) -> [Int] {
        let entry = try entry(name)
        switch entry.dtype {
        case .i64: return read(entry, as: Int64.self).map { Int($0) }
        case .i32: return read(entry, as: Int32.self).map { Int($0) }
        case .u8, .bool: return data[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)].map { Int($0) }
        case .f32, .f64:
            throw ModelLoadError(file: path, reason: "tensor '\(name)' is \(entry.dtype.rawValue), expected an integer type")
        }
    }

    private func read<T: FixedWidthInteger & BitwiseCopyable>(_ entry: Entry, as: T.Type) -> [T] {
        data.withUnsafeBytes { raw in
            let base = dataStart + entry.range.lowerBound
            return (0..<entry.elementCount).map { i in
                T(littleEndian: raw.loadUnaligned(fromByteOffset: base + i * MemoryLayout<T>.size, as: T.self))
            }
        }
    }

    private func read(_ entry: Entry, as: Float.Type) -> [Float] {
        data.withUnsafeBytes { raw in
            let base = dataStart + entry.range.lowerBound
            return [Float](unsafeUninitializedCapacity: entry.elementCount) { buffer, count in
                for i in 0..<entry.elementCount {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + i * 4, as: UInt32.self))
                    buffer[i] = Float(bitPattern: bits)
                }
                count = entry.elementCount
            }
        }
    }
}
