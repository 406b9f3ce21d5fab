import Foundation
import Synchronization

/// A `zenith serve` child process started by the harness: ports learned from its stdout,
/// stopped with SIGTERM.
public final class ServerProcess: Sendable {
    /// The data port's address.
    public let endpoint: Endpoint
    /// The operator API's address, or `nil` when the server printed no operator line within a
    /// few seconds of its serving line (set-target actions then fail with a clear message).
    public let operatorEndpoint: Endpoint?
    /// The command line, for the report.
    public let commandLine: String

    private let process: Process
    private let output: OutputLines

    /// Servers started and not yet stopped, so that an interrupted harness does not leave them running.
    private static let running = Mutex<[Int32: Process]>([:])

    /// Sends SIGTERM to every server this process started and has not stopped (for a SIGINT handler).
    public static func terminateAll() {
        for process in running.withLock({ Array($0.values) }) where process.isRunning { process.terminate() }
    }

    private init(process: Process, output: OutputLines, endpoint: Endpoint, operatorEndpoint: Endpoint?, commandLine: String) {
        self.process = process
        self.output = output
        self.endpoint = endpoint
        self.operatorEndpoint = operatorEndpoint
        self.commandLine = commandLine
    }

    /// Starts `executable serve --host 127.0.0.1 --port 0 --operator-port 0 [mode flags] [extra]`
    /// and waits for its `zenith: serving ... on http://HOST:PORT` line, then briefly for its
    /// `zenith: operator API on http://HOST:PORT` line.
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
        let output = OutputLines()
        output.follow(stdout.fileHandleForReading)
        try process.run()
        running.withLock { $0[process.processIdentifier] = process }
        let commandLine = ([executable] + arguments).joined(separator: " ")

        let deadline = ContinuousClock.now + .seconds(startupTimeout)
        var endpoint: Endpoint?
        while endpoint == nil {
            endpoint = output.lines.lazy.compactMap { Self.address(in: $0, after: "zenith: serving ") }.first
            if endpoint != nil { break }
            if !process.isRunning {
                running.withLock { _ = $0.removeValue(forKey: process.processIdentifier) }
                reap(process)
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
            if ContinuousClock.now > deadline {
                process.terminate()
                running.withLock { _ = $0.removeValue(forKey: process.processIdentifier) }
                throw ServerProcessError("\(commandLine) printed no serving line within \(Int(startupTimeout)) s; see \(logPath)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The operator line follows the serving line.
        var operatorEndpoint: Endpoint?
        let operatorDeadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < operatorDeadline {
            operatorEndpoint = output.lines.lazy.compactMap { Self.address(in: $0, after: "zenith: operator API on ") }.first
            if operatorEndpoint != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ServerProcess(
            process: process, output: output, endpoint: endpoint!, operatorEndpoint: operatorEndpoint,
            commandLine: commandLine)
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after `timeout` seconds).
    public func stop(timeout: Double = 30) async {
        defer { Self.running.withLock { _ = $0.removeValue(forKey: process.processIdentifier) } }
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(timeout)
            while process.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        Self.reap(process)
    }

    /// Releases what Foundation holds for a child that has exited: until `waitUntilExit()` runs,
    /// its `Process` and the run-loop source that watches the child keep each other alive, with
    /// the pipes and arguments they hold (LeakSanitizer reports the cycle). The child is gone, so
    /// it returns at once.
    private static func reap(_ process: Process) {
        precondition(!process.isRunning)
        process.waitUntilExit()
    }

    /// The address in a line `<prefix>... http://HOST:PORT`, if the line starts with `prefix`.
    static func address(in line: String, after prefix: String) -> Endpoint? {
        guard line.hasPrefix(prefix), let range = line.range(of: "http://", options: .backwards) else { return nil }
        return Endpoint(url: String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces))
    }
}

/// Reads a child's stdout on a thread of its own (so the pipe never fills) and keeps the lines.
private final class OutputLines: Sendable {
    private let state = Mutex<(lines: [String], partial: [UInt8])>(([], []))

    var lines: [String] { state.withLock { $0.lines } }

    func follow(_ handle: FileHandle) {
        let thread = Thread { [self] in
            // `availableData` traps when a signal interrupts its read: SIGCHLD, when another child
            // of the harness (a burner) exits, must go to some other thread.
            var childSignals = sigset_t()
            sigemptyset(&childSignals)
            sigaddset(&childSignals, SIGCHLD)
            pthread_sigmask(SIG_BLOCK, &childSignals, nil)
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                state.withLock { state in
                    state.partial.append(contentsOf: data)
                    while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                        state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                        state.partial.removeSubrange(...newline)
                    }
                }
            }
        }
        thread.name = "zenith-load-server-stdout"
        thread.start()
    }
}
