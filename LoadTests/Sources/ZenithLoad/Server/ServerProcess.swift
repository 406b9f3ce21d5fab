import Foundation
import NIOConcurrencyHelpers

/// A `zenith serve` child process started by the harness: ports learned from its stdout,
/// stopped with SIGTERM.
public final class ServerProcess: Sendable {
    /// The data port's address.
    public let endpoint: Endpoint
    /// The operator API's address, or `nil` when the server announced none (started with
    /// `--no-operator`, or its announcement ended without the line); set-target actions then fail
    /// with a clear message.
    public let operatorEndpoint: Endpoint?
    /// The command line, for the report.
    public let commandLine: String

    private let process: Process
    private let output: ServerOutput

    /// Servers started and not yet stopped, so that an interrupted harness does not leave them running.
    private static let running = NIOLockedValueBox<[Int32: Process]>([:])

    /// Sends SIGTERM to every server this process started and has not stopped (for a SIGINT handler).
    public static func terminateAll() {
        for process in running.withLockedValue({ Array($0.values) }) where process.isRunning { process.terminate() }
    }

    private init(
        process: Process, output: ServerOutput, endpoint: Endpoint, operatorEndpoint: Endpoint?, commandLine: String
    ) {
        self.process = process
        self.output = output
        self.endpoint = endpoint
        self.operatorEndpoint = operatorEndpoint
        self.commandLine = commandLine
    }

    /// Starts `executable serve --host 127.0.0.1 --port 0 --operator-port 0 [mode flags] [extra]`
    /// and waits for its `zenith: serving ... on http://HOST:PORT` line and the
    /// `zenith: operator API on http://HOST:PORT` line that follows it.
    ///
    /// - Parameters:
    ///   - executable: the `zenith` binary.
    ///   - modeArguments: the serving mode's flags (`ServingMode.serverArguments`).
    ///   - extraArguments: appended as given.
    ///   - logPath: where the server's stderr goes.
    ///   - startupTimeout: seconds to wait for the serving line (loading and warm-up take a while).
    /// - Throws: `ServerProcessError` when the binary is missing, the server exits or stays silent,
    ///   or it refuses `--operator-port` (a zenith built before the operator API).
    public static func start(
        executable: String, modeArguments: [String] = [], extraArguments: [String] = [], logPath: String,
        startupTimeout: Double = 300
    ) async throws -> ServerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ServerProcessError("\(executable) is not an executable: build it (swift build -c release) or pass --zenith")
        }
        var arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--operator-port", "0"]
        arguments += modeArguments + extraArguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        let output = ServerOutput()
        process.terminationHandler = { _ in output.exited() }
        output.follow(stdout.fileHandleForReading)
        try process.run()
        running.withLockedValue { $0[process.processIdentifier] = process }
        let commandLine = ([executable] + arguments).joined(separator: " ")

        let serving = try await output.first(by: .now + .seconds(startupTimeout)) { snapshot -> Endpoint?? in
            let announced = snapshot.lines.lazy.compactMap { Self.address(in: $0, after: "zenith: serving ") }
            if let endpoint = announced.first { return .some(endpoint) }
            return snapshot.exited || !process.isRunning ? .some(nil) : nil
        }
        guard let serving else {
            process.terminate()
            running.withLockedValue { _ = $0.removeValue(forKey: process.processIdentifier) }
            throw ServerProcessError(
                "\(commandLine) printed no serving line within \(Int(startupTimeout)) s; see \(logPath)")
        }
        guard let endpoint = serving else {
            running.withLockedValue { _ = $0.removeValue(forKey: process.processIdentifier) }
            reap(process, output: output)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            // ArgumentParser's message for a flag the binary does not know.
            if log.contains("Unknown option '--operator-port'") {
                throw ServerProcessError(
                    "\(executable) refused --operator-port: it predates the operator API, which the harness "
                        + "needs for targets and timed actions. Rebuild it (swift build -c release --product zenith) "
                        + "or pass --zenith with a current binary; see \(logPath)")
            }
            throw ServerProcessError(
                "\(commandLine) exited with status \(process.terminationStatus) before serving; see \(logPath)")
        }
        // zenith writes its announcement in one piece, the operator line right after the serving
        // line, so the wait normally ends at once; it ends too if the announcement goes on without
        // it or the output ends. The deadline only bounds a server that says nothing more.
        let operatorEndpoint: Endpoint??
        if arguments.contains("--no-operator") {
            operatorEndpoint = nil
        } else {
            operatorEndpoint = try await output.first(by: .now + .seconds(60)) { snapshot -> Endpoint?? in
                guard let serving = snapshot.lines.firstIndex(where: { $0.hasPrefix("zenith: serving ") }) else {
                    return .some(nil)
                }
                let after = snapshot.lines[(serving + 1)...]
                if let next = after.first {
                    return .some(Self.address(in: next, after: "zenith: operator API on "))
                }
                return snapshot.ended || snapshot.exited ? .some(nil) : nil
            }
        }
        return ServerProcess(
            process: process, output: output, endpoint: endpoint, operatorEndpoint: operatorEndpoint ?? nil,
            commandLine: commandLine)
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after `timeout` seconds).
    public func stop(timeout: Double = 30) async {
        let pid = process.processIdentifier
        defer { Self.running.withLockedValue { _ = $0.removeValue(forKey: pid) } }
        let process = self.process
        let output = self.output
        if process.isRunning {
            process.terminate()
            // Not cancelled with the caller: a server is never left running, nor reaped before its exit.
            await Task {
                let gone: (ServerOutput.Snapshot) -> Bool? = { $0.exited || !process.isRunning ? true : nil }
                let exited = try? await output.first(by: .now + .seconds(timeout), gone)
                if exited == nil {
                    kill(pid, SIGKILL)
                    // The exit wakes the wait; the hour only bounds a process that outlives SIGKILL.
                    _ = try? await output.first(by: .now + .seconds(3600), gone)
                }
            }.value
        }
        Self.reap(process, output: output)
    }

    /// Releases what Foundation holds for a child that has exited: until `waitUntilExit()` runs,
    /// its `Process` and the run-loop source that watches the child keep each other alive, with
    /// the pipes and arguments they hold (LeakSanitizer reports the cycle). The child is gone, so
    /// it returns at once (Foundation may call the termination handler just before it clears
    /// `isRunning`, which `waitUntilExit()` waits for).
    private static func reap(_ process: Process, output: ServerOutput) {
        precondition(output.hasExited || !process.isRunning)
        process.waitUntilExit()
    }

    /// The address in a line `<prefix>... http://HOST:PORT`, if the line starts with `prefix`.
    static func address(in line: String, after prefix: String) -> Endpoint? {
        guard line.hasPrefix(prefix), let range = line.range(of: "http://", options: .backwards) else { return nil }
        return Endpoint(url: String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces))
    }
}
