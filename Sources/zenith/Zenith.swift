import ArgumentParser

@main
struct Zenith: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zenith: an inference server that meets latency and accuracy targets by running less of the network.",
        subcommands: [Eval.self, Profile.self, Bench.self])
}
