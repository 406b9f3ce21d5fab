import ArgumentParser
import Dispatch
import Foundation
import ZenithLoad

/// `zenith-load`: the open-loop load harness for Zenith (subcommands in their own files).
@main
struct ZenithLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zenith-load",
        abstract: "Open-loop load tests of zenith serve: scenarios, dense-vs-SLO comparisons, sweeps, capacity.",
        subcommands: [Run.self, Capacity.self, SelfCheckCommand.self, Burn.self])

    static func main() async {
        // Ctrl-C must not leave the servers the harness started running (and eating the cores).
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            // @Sendable: the handler runs on a dispatch queue, not on the main actor this closure is written in.
            source.setEventHandler { @Sendable in
                ServerProcess.terminateAll()
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            ServerProcess.terminateAll()
            exit(withError: error)
        }
    }
}
