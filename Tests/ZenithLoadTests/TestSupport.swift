import Foundation
import Logging
import ZenithHTTP
import ZenithJSON
import ZenithLoad

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

/// A synthetic sample: answered with `plan` at `expectedAccuracy` after `latencyMs`, or refused with `reason`.
func sample(
    index: Int = 0, sloClass: String = "default", atSeconds: Double = 0, latencyMs: Double? = 1,
    status: Int = 200, plan: String = "dense", expectedAccuracy: Double = 0.93, predicted: Int = 3, label: Int = 3,
    latencyTargetMs: Double = 10, accuracyTarget: Double = 0.9, reason: String? = nil
) -> Sample {
    let scheduled = UInt64(atSeconds * 1e9)
    let outcome =
        status == 200
        ? InferenceOutcome(status: 200, plan: plan, expectedAccuracy: expectedAccuracy, predictedClass: predicted)
        : InferenceOutcome(status: status, rejectReason: reason)
    return Sample(
        index: index, sloClass: sloClass, scheduledNanos: scheduled, sentNanos: scheduled,
        completedNanos: latencyMs.map { scheduled + UInt64($0 * 1e6) }, latencyTargetMs: latencyTargetMs,
        accuracyTarget: accuracyTarget, label: label, outcome: outcome)
}

/// Runs `body` with a ZenithHTTP server answering through `handler` on a loopback port.
func withServer(
    _ handler: some HTTPHandler, _ body: (Endpoint) async throws -> Void
) async throws {
    let server = HTTPServer(
        configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: handler, logger: quietLogger)
    let running = Task { try await server.run() }
    do {
        let port = try await server.listeningPort()
        try await body(Endpoint(host: "127.0.0.1", port: port))
    } catch {
        server.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
    server.triggerGracefulShutdown()
    try await running.value
}
