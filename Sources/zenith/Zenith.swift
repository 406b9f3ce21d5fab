import ArgumentParser
import Foundation
import ZenithCore
import ZenithExecutor
import ZenithJSON
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
            var command = try parseAsRoot(try arguments())
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
    /// The command line; for `serve`, completed from its `--config` file and `ZENITH_SERVE_*`
    /// variables (``ServeArguments``).
    static func arguments() throws -> [String] {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "serve" else { return arguments }
        let rest = Array(arguments.dropFirst())
        var file: JSONValue?
        if let index = rest.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) {
            let path =
                rest[index].hasPrefix("--config=")
                ? String(rest[index].dropFirst("--config=".count))
                : (index + 1 < rest.count ? rest[index + 1] : "")
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--config \(path): cannot be read")
            }
            do {
                file = try JSONValue(parsing: Array(bytes))
            } catch {
                throw ValidationError("--config \(path): not JSON: \(error)")
            }
        }
        return ["serve"] + (try ServeArguments.complete(rest, file: file, environment: ProcessInfo.processInfo.environment))
    }

    /// Where relative defaults (`Models`, `Profiles`, ...) are found; explicit flags are taken as given.
    static let home = ZenithHome.detect()

    /// How help texts name the home.
    static let homeHelp = "$ZENITH_HOME, else the checkout this executable was built in, else the working directory"
}
