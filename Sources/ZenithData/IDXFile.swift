import CompressNIO
import Foundation
import NIOCore

/// The IDX format of (Fashion-)MNIST: a big-endian magic number naming the element type and
/// rank, the dimensions, then the unsigned bytes. Files may be gzip-compressed.
enum IDXFile {
    /// Reads `path` (gzip or plain), checks rank and element type, returns dims and bytes.
    static func read(_ path: String, rank: Int) throws(DatasetError) -> (dims: [Int], bytes: [UInt8]) {
        func fail(_ reason: String) -> DatasetError { DatasetError(file: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "file not found")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0x1F, 0x8B]) {
            bytes = try gunzip(bytes, path: path)
        }
        guard bytes.count >= 4 + 4 * rank else { throw fail("too short for an IDX header") }
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, Int(bytes[3]) == rank else {
            throw fail("not an IDX file of unsigned bytes with \(rank) dimension(s)")
        }
        let dims = (0..<rank).map { i in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * i + $1]) }
        }
        let header = 4 + 4 * rank
        let expected = dims.reduce(1, *)
        guard bytes.count - header == expected else {
            throw fail("dimensions \(dims) need \(expected) bytes but \(bytes.count - header) follow the header")
        }
        return (dims, Array(bytes[header...]))
    }

    private static func gunzip(_ bytes: [UInt8], path: String) throws(DatasetError) -> [UInt8] {
        // gzip's trailer holds the uncompressed size (mod 2^32): allocate once.
        let n = bytes.count
        guard n >= 18 else { throw DatasetError(file: path, reason: "truncated gzip stream") }
        let size = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBufferAllocator().buffer(capacity: size)
        do {
            try input.decompress(to: &output, with: .gzip())
        } catch {
            throw DatasetError(file: path, reason: "gzip stream is corrupt or truncated (\(error))")
        }
        return output.readBytes(length: output.readableBytes) ?? []
    }
}
