import NIOHTTP1
import Testing
import ZenithJSON

@testable import ZenithServer

/// `--dense-only`: the controller off, for comparisons. Targets are still read and reported
/// against, never acted on.
@Suite struct DenseOnlyTests {
    @Test func servesDenseFirstComeFirstServedAndReportsMissedTargets() async throws {
        let server = try await RunningServer.start(models: ["fashion-mlp"], mode: .denseOnly)
        let port = server.port
        do {
            let config = try JSONValue(parsing: try await send(port: port, .GET, "/v2/models/fashion-mlp/config").body)
            #expect(config["zenith"]?["scheduling"] == "dense_only")
            #expect(config["zenith"]?["plans"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["dense"])

            // A target no plan could meet is not refused: it is served dense and reported missed.
            let hopeless = try await send(
                port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [("zenith-latency-target-ms", "0.001")],
                body: jsonInferRequest(model: "fashion-mlp", 0..<4))
            #expect(hopeless.status == 200, "\(hopeless.text)")
            let parameters = try JSONValue(parsing: hopeless.body)["parameters"]
            #expect(parameters?["plan"] == "dense")
            #expect(parameters?["slo_met"] == false)

            let met = try await send(
                port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed],
                body: jsonInferRequest(model: "fashion-mlp", 0..<4))
            #expect(try JSONValue(parsing: met.body)["parameters"]?["slo_met"] == true)

            // Targets are still checked.
            let impossible = try await send(
                port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [("zenith-accuracy-target", "1.5")],
                body: jsonInferRequest(model: "fashion-mlp", 0..<1))
            #expect(impossible.status == 400)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    /// Triton's `timeout` is the one target a fixed-plan server acts on: a request still queued
    /// when it elapses is dropped unserved (the dense-timeout baseline of `zenith-load`).
    @Test func dropsARequestWhoseTritonTimeoutElapsedInTheQueue() async throws {
        let server = try await RunningServer.start(models: ["fashion-mlp"], mode: .denseOnly)
        do {
            // 1 µs from the arrival (stamped when the headers were read) has passed by the time
            // the decoded request reaches the queue.
            let late = try await send(
                port: server.port, .POST, "/v2/models/fashion-mlp/infer",
                body: jsonInferRequest(model: "fashion-mlp", 0..<1, parameters: ["timeout": 1]))
            #expect(late.status == 504, "\(late.text)")
            #expect(try JSONValue(parsing: late.body)["error"]?.stringValue?.contains("timeout") == true)

            let inTime = try await send(
                port: server.port, .POST, "/v2/models/fashion-mlp/infer",
                body: jsonInferRequest(model: "fashion-mlp", 0..<1, parameters: ["timeout": 60_000_000]))
            #expect(inTime.status == 200, "\(inTime.text)")
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}
