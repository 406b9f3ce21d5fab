import Foundation
import Testing
import ZenithData

/// `.npz` files as numpy writes them (Fixtures/make_npz.py), and the split rule.
@Suite struct NPZTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    @Test func readsStoredAndDeflatedArraysOfEveryDtype() throws {
        let expected = (0..<60).map { Double(Float(Double($0) / 7)) }
        let stored = try NPZFile(contentsOf: "\(Self.fixtures)/stored.npz")
        #expect(stored.arrays["x"]?.shape == [10, 2, 3])
        #expect(stored.arrays["x"]?.values == expected)
        #expect(stored.arrays["y"]?.values == (0..<10).map { Double($0 % 3) })
        let deflated = try NPZFile(contentsOf: "\(Self.fixtures)/deflated.npz")
        #expect(deflated.arrays["x"]?.shape == [10, 2, 3])
        // float64 of the same float32 values.
        #expect(deflated.arrays["x"]?.values == expected)
        #expect(deflated.arrays["y"]?.values == (0..<10).map { Double($0 % 3) })
    }

    @Test func classNamesBesideTheArraysAreLeftAlone() throws {
        let file = try NPZFile(contentsOf: "\(Self.fixtures)/with-names.npz")
        #expect(file.undecoded["labels"] == "<U5")
        #expect(try LabelledImages.load(npz: file.path, split: .test).count == 1)
    }

    @Test func theSplitArrayChoosesTheSamples() throws {
        let path = "\(Self.fixtures)/stored.npz"
        let train = try LabelledImages.load(npz: path, split: .train)
        let validation = try LabelledImages.load(npz: path, split: .validation)
        let test = try LabelledImages.load(npz: path, split: .test)
        #expect((train.count, validation.count, test.count) == (6, 2, 2))
        #expect(validation.labels == [6 % 3, 7 % 3])
        #expect(test.pixelsPerImage == 6)
        #expect(test.pixels.first == Float(48) / 7)
    }

    @Test func withoutASplitTheFileOrderRuleApplies() throws {
        // 80% / 10% / 10% of 10 samples.
        let path = "\(Self.fixtures)/deflated.npz"
        #expect(try LabelledImages.load(npz: path, split: .train).labels == (0..<8).map { $0 % 3 })
        #expect(try LabelledImages.load(npz: path, split: .validation).labels == [8 % 3])
        #expect(try LabelledImages.load(npz: path, split: .test).labels == [9 % 3])
    }

    @Test func badFilesAreNamedWithTheFault() {
        func reason(_ body: () throws -> Void) -> String {
            do {
                try body()
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(reason { _ = try LabelledImages.load(npz: "\(Self.fixtures)/no-labels.npz", split: .test) }.contains("needs arrays 'x'"))
        #expect(reason { _ = try NPZFile(contentsOf: "\(Self.fixtures)/fortran.npz") }.contains("Fortran order"))
        #expect(reason { _ = try LabelledImages.load(npz: "\(Self.fixtures)/string-labels.npz", split: .test) }.contains("'y' has dtype <U1"))
        #expect(reason { _ = try NPZFile(contentsOf: "\(Self.fixtures)/make_npz.py") }.contains("not an .npz"))
        #expect(reason { _ = try NPZFile(contentsOf: "\(Self.fixtures)/missing.npz") }.contains("file not found"))
    }
}
