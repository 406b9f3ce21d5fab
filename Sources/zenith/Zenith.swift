import ArgumentParser
import ZenithExecutor

@main
struct Zenith: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zenith: an inference server that meets latency and accuracy targets by running less of the network.",
        subcommands: [Serve.self, Eval.self, Profile.self, Bench.self])

    static func main() async {
        BLAS.restartWithBetterKernelIfNeeded()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
