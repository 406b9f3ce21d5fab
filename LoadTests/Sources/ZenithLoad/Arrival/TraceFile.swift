import Foundation

/// A replay trace: one send offset per line, in seconds from the start (`#` starts a comment).
public enum TraceFile {
    /// Reads and checks a trace; offsets are returned sorted.
    ///
    /// - Throws: `ScenarioError` naming the line that is not a non-negative number.
    public static func load(path: String) throws(ScenarioError) -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError("cannot read the trace file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), name: path)
    }

    /// Parses trace text.
    public static func parse(_ text: String, name: String = "trace") throws(ScenarioError) -> [Double] {
        var offsets: [Double] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let offset = Double(trimmed), offset >= 0, offset.isFinite else {
                throw ScenarioError("\(name):\(number + 1): '\(trimmed)' is not a non-negative number of seconds")
            }
            offsets.append(offset)
        }
        guard !offsets.isEmpty else { throw ScenarioError("\(name): the trace has no send offsets") }
        return offsets.sorted()
    }
}
