import Foundation
import Testing
import ZenithData

@Suite struct FashionMNISTTests {
    @Test func loadsTheRealTestSet() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.count == 10_000)
        #expect(test.rows == 28 && test.columns == 28)
        // Fashion-MNIST's test set has exactly 1000 images of each of its 10 classes.
        let perClass = Dictionary(grouping: test.labels, by: { $0 }).mapValues(\.count)
        #expect(perClass.count == 10 && perClass.values.allSatisfy { $0 == 1000 })
        #expect(test.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(test.labels[0] == 9)  // the first test image is an ankle boot
        #expect(test.subset(10..<20).labels == Array(test.labels[10..<20]))
    }

    func withFiles(_ files: [String: [UInt8]], _ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "zenith-data-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)")) }
        try body(directory)
    }

    func idx(rank: Int, dims: [Int], payload: Int) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(rank)]
        for d in dims { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return bytes + [UInt8](repeating: 7, count: payload)
    }

    @Test func readsPlainIDXFiles() throws {
        try withFiles([
            "t10k-images-idx3-ubyte": idx(rank: 3, dims: [2, 2, 3], payload: 12),
            "t10k-labels-idx1-ubyte": idx(rank: 1, dims: [2], payload: 2),
        ]) { directory in
            let set = try FashionMNIST.load(.test, directory: directory)
            #expect(set.count == 2 && set.rows == 2 && set.columns == 3)
            #expect(set.pixels.first == Float(7) / 255)
        }
    }

    @Test func reportsTruncatedAndMismatchedFiles() throws {
        try withFiles([
            "t10k-images-idx3-ubyte": idx(rank: 3, dims: [2, 2, 3], payload: 11),
            "t10k-labels-idx1-ubyte": idx(rank: 1, dims: [2], payload: 2),
        ]) { directory in
            #expect { try FashionMNIST.load(.test, directory: directory) } throws: { error in
                "\(error)".contains("need 12 bytes but 11 follow")
            }
        }
        try withFiles([
            "t10k-images-idx3-ubyte": idx(rank: 3, dims: [2, 2, 3], payload: 12),
            "t10k-labels-idx1-ubyte": idx(rank: 1, dims: [3], payload: 3),
        ]) { directory in
            #expect { try FashionMNIST.load(.test, directory: directory) } throws: { error in
                "\(error)".contains("has 3 labels for 2 images")
            }
        }
        try withFiles(["t10k-images-idx3-ubyte.gz": [0x1F, 0x8B] + [UInt8](repeating: 1, count: 40),
                       "t10k-labels-idx1-ubyte": idx(rank: 1, dims: [2], payload: 2)]) { directory in
            #expect { try FashionMNIST.load(.test, directory: directory) } throws: { error in
                "\(error)".contains("gzip stream is corrupt")
            }
        }
        #expect { try FashionMNIST.load(.test, directory: "/nonexistent") } throws: { error in
            "\(error)".contains("dataset-fashion-mnist")
        }
    }
}
