import Foundation

/// Starts and stops a scenario's CPU-bound neighbours on the run's clock: `zenith-load burn`
/// processes (one busy core each), under `taskset -c CPUS` when the CPUs are given (the
/// server's, so that they share its cores).
struct InterferenceRunner: Sendable {
    /// The `zenith-load` executable that burns.
    var burner: String
    var cpus: String?

    /// The running harness's own executable.
    static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The command line of one neighbour of `interference` (it stops itself a second after the
    /// interval should the harness fail to stop it).
    func arguments(_ interference: Interference) -> [String] {
        let seconds = Int((interference.untilSeconds - interference.fromSeconds).rounded(.up)) + 1
        let burn = [burner, "burn", "--seconds", String(seconds)]
        return cpus.map { ["taskset", "-c", $0] + burn } ?? burn
    }

    /// Runs `interference` from its start to its end on `clock` and says what happened, as a
    /// timed action of the run (its command line as the body; status 200 once it ran).
    func run(_ interference: Interference, clock: LoadClock) async -> ActionRecord {
        let arguments = arguments(interference)
        let commandLine = "\(interference.workers) × " + arguments.joined(separator: " ")
        try? await Task.sleep(until: clock.instant(atNanos: UInt64(interference.fromSeconds * 1e9)), clock: .continuous)
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for _ in 0..<interference.workers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                return ActionRecord(
                    atSeconds: interference.fromSeconds, doneSeconds: nil, body: commandLine, status: nil,
                    message: "could not start: \(error)")
            }
            processes.append(process)
        }
        try? await Task.sleep(until: clock.instant(atNanos: UInt64(interference.untilSeconds * 1e9)), clock: .continuous)
        // Gone before its end: it could not run (taskset missing, a CPU list it refuses).
        if let gone = processes.first(where: { !$0.isRunning }) {
            return ActionRecord(
                atSeconds: interference.fromSeconds, doneSeconds: nil, body: commandLine, status: nil,
                message: "exited with status \(gone.terminationStatus) before its end")
        }
        for process in processes { process.terminate() }
        let stopped = Double(clock.now()) / 1e9
        let deadline = ContinuousClock.now + .seconds(5)
        while processes.contains(where: \.isRunning) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return ActionRecord(
            atSeconds: interference.fromSeconds, doneSeconds: stopped, body: commandLine, status: 200,
            message: "CPU-bound neighbour from \(interference.fromSeconds) s to \(String(format: "%.2f", stopped)) s")
    }
}
