import ArgumentParser
import Foundation

/// `zenith-load burn --seconds S`: keeps one core busy: the co-located neighbour of a
/// scenario's interference, which the harness starts (pinned with taskset) and stops itself.
/// One process, no children, so stopping it stops all of it; it also stops on its own at the
/// end, or as soon as the harness that started it is gone.
struct Burn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep one core busy for a while (the harness's co-located neighbour).", shouldDisplay: false)

    @Option(help: "Seconds to run.")
    var seconds: Double

    func validate() throws {
        guard seconds > 0, seconds <= 86_400 else { throw ValidationError("--seconds must be in (0, 86400]") }
    }

    func run() {
        let parent = getppid()
        let end = ContinuousClock.now + .seconds(seconds)
        var state: UInt64 = 1
        while ContinuousClock.now < end && getppid() == parent {
            // Integer work that stays in registers: a CPU-bound tenant, not a memory-bound one.
            for _ in 0..<200_000 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        }
        // Uses the result, so the loop is not optimised away.
        if state == 0 { print("") }
    }
}
