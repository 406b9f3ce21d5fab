import Foundation

/// Writes a report's files into an output folder and draws the plots with the Python script.
public struct ReportWriter: Sendable {
    /// The output folder (created when missing).
    public var directory: String
    /// The Python interpreter with matplotlib (`.venv/bin/python`).
    public var python: String
    /// The plotting script.
    public var plotScript: String

    /// Creates a writer.
    public init(directory: String, python: String = ".venv/bin/python", plotScript: String = "LoadTests/plots/plot_load.py") {
        self.directory = directory
        self.python = python
        self.plotScript = plotScript
    }

    /// Writes `report.json` and `samples.csv`, runs the plot script, then writes `report.md`
    /// (which links the plots or says why there are none).
    ///
    /// - Returns: the plots drawn, or why not.
    @discardableResult
    public func write(_ report: LoadReport) throws -> Result<[String], PlotError> {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try report.json().serialized(pretty: true).write(toFile: "\(directory)/report.json", atomically: true, encoding: .utf8)
        try report.samplesCSV().write(toFile: "\(directory)/samples.csv", atomically: true, encoding: .utf8)
        let plots = drawPlots()
        try report.markdown(plots: plots).write(toFile: "\(directory)/report.md", atomically: true, encoding: .utf8)
        return plots
    }

    private func drawPlots() -> Result<[String], PlotError> {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return .failure(PlotError("\(python) does not exist (scripts/setup.sh --python creates the venv with matplotlib); run `\(python) \(plotScript) \(directory)` afterwards"))
        }
        guard FileManager.default.fileExists(atPath: plotScript) else {
            return .failure(PlotError("\(plotScript) not found (run zenith-load from the repository root)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [plotScript, directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            return .failure(PlotError("could not start \(python): \(error)"))
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(PlotError("\(plotScript) failed (status \(process.terminationStatus)): \(text.suffix(500))"))
        }
        // The script prints one written file name per line.
        return .success(text.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".png") })
    }
}
