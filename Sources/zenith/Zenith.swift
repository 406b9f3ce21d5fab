import ArgumentParser
import ZenithCore
import ZenithExecutor
import ZenithServer

@main
struct Zenith: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zenith: an inference server that meets latency and accuracy targets by running less of the network.",
        version: ZenithVersion.string,
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

extension Zenith {
    /// Where relative defaults (`Models`, `Profiles`, ...) are found; explicit flags are taken as given.
    static let home = ZenithHome.detect()

    /// How help texts name the home.
    static let homeHelp = "$ZENITH_HOME, else the checkout this executable was built in, else the working directory"
}
