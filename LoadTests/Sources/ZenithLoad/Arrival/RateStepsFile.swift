import Foundation

/// A load shape kept in a file of its own: one step per line, `AT_S MULTIPLE` (seconds from the
/// start, multiple of the scenario's rate from then on; spaces or a comma between; `#` starts a
/// comment). Unlike a send-offset trace it scales with the rate, so one shape serves every model.
public enum RateStepsFile {
    /// Reads and checks a file; the steps are returned sorted by start.
    /// - Throws: `ScenarioError` naming the line that is not two non-negative numbers.
    public static func load(path: String) throws(ScenarioError) -> [ArrivalProcess.RateStep] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError("cannot read the steps file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), name: path)
    }

    /// Parses the text of a steps file.
    public static func parse(_ text: String, name: String = "steps") throws(ScenarioError) -> [ArrivalProcess.RateStep] {
        var steps: [ArrivalProcess.RateStep] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2, let at = Double(fields[0]), let multiple = Double(fields[1]),
                at >= 0, at.isFinite, multiple >= 0, multiple.isFinite
            else {
                throw ScenarioError("\(name):\(number + 1): '\(content)' is not 'AT_S MULTIPLE' (two numbers ≥ 0)")
            }
            steps.append(.init(atSeconds: at, multiple: multiple))
        }
        guard !steps.isEmpty else { throw ScenarioError("\(name): the file has no steps") }
        return steps.sorted { $0.atSeconds < $1.atSeconds }
    }
}
