import ArgumentParser
import SLOCtlKit
import ZenithCore

/// `sloctl`: reads and sets Zenith's SLO targets at run time through the operator API.
///
/// Exit status: 0 when every endpoint answered, 1 when any failed (one line per failure on
/// stderr), 64 for invalid arguments.
@main
struct SLOCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sloctl",
        abstract: "Read and change Zenith's per-model SLO targets through the operator API.",
        version: ZenithVersion.string,
        subcommands: [SetTarget.self, GetTarget.self, Status.self, Models.self, DeleteClass.self])
}
