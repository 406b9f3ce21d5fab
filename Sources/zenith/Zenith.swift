import ArgumentParser
import ZenithExecutor

@main
struct Zenith: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zenith: an inference server that meets latency and accuracy targets by running less of the network.",
        subcommands: [Eval.self, Profile.self, Bench.self])

    static func main() {
        BLAS.restartWithBetterKernelIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
