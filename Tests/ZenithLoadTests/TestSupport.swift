import Foundation
import Logging
import ZenithData
import ZenithHTTP
import ZenithJSON
import ZenithLoad
import ZenithTestSupport

/// The checkout this file belongs to (Tests/ZenithLoadTests/ is two levels down).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let quietLogger = Logger(label: "zenith.load.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A one-class scenario with the given arrival process.
func makeScenario(
    _ arrival: ArrivalProcess = .poisson, rate: RateSpec = .absolute(100), duration: Double = 10, seed: UInt64 = 1,
    classes: [SLOClass] = [SLOClass(name: "default", share: 1, latencyTargetMs: 10, accuracyTarget: 0.9)],
    actions: [OperatorAction] = []
) -> Scenario {
    Scenario(
        name: "test", model: "fashion-cnn", durationSeconds: duration, seed: seed, arrival: arrival, rate: rate,
        classes: classes, actions: actions)
}

/// A synthetic sample: answered with `plan` at `expectedAccuracy` after `latencyMs`, or refused
/// with `reason`; it carries as many images as `labels`, and an answer predicts `predicted`.
func sample(
    index: Int = 0, sloClass: String = "default", atSeconds: Double = 0, latencyMs: Double? = 1,
    status: Int = 200, plan: String = "dense", expectedAccuracy: Double = 0.93, predicted: [Int] = [3],
    labels: [Int] = [3], latencyTargetMs: Double = 10, accuracyTarget: Double = 0.9, reason: String? = nil,
    lateMs: Double = 0
) -> Sample {
    let scheduled = UInt64(atSeconds * 1e9)
    let outcome =
        status == 200
        ? InferenceOutcome(status: 200, plan: plan, expectedAccuracy: expectedAccuracy, predictedClasses: predicted)
        : InferenceOutcome(status: status, rejectReason: reason)
    return Sample(
        index: index, sloClass: sloClass, scheduledNanos: scheduled, sentNanos: scheduled + UInt64(lateMs * 1e6),
        completedNanos: latencyMs.map { scheduled + UInt64($0 * 1e6) }, latencyTargetMs: latencyTargetMs,
        accuracyTarget: accuracyTarget, labels: labels, outcome: outcome)
}

/// `count` tiny synthetic images (2 × 2 pixels, every pixel of image `i` equal to `i`), labelled `i % 10`.
func tinyImages(_ count: Int) -> LabelledImages {
    LabelledImages(
        pixels: (0..<count).flatMap { [Float](repeating: Float($0), count: 4) }, labels: (0..<count).map { $0 % 10 },
        rows: 2, columns: 2)
}

/// The little-endian FP32 bytes of `values`.
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value -> [UInt8] in
        let bits = value.bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }
}

/// Runs `body` with a ZenithHTTP server answering through `handler` on a loopback port.
///
/// The server has an event loop of its own, as the load tests' clients do (`withEventLoopGroup`):
/// they drive hundreds of requests, or a closed loop for seconds, which on the shared
/// `MultiThreadedEventLoopGroup.singleton` would hold up every other test's connections.
func withServer(
    _ handler: some HTTPHandler, _ body: (Endpoint) async throws -> Void
) async throws {
    var configuration = HTTPServerConfiguration()
    configuration.eventLoopThreads = 1
    try await withLoopbackServer(configuration, handler: handler) { port, _ in
        try await body(Endpoint(host: "127.0.0.1", port: port))
    }
}
