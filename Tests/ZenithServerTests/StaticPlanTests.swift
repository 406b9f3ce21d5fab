import Testing
import ZenithJSON

@testable import ZenithServer

/// `--static-plan MODEL=PLAN`: the controller off as in dense-only, one non-dense plan run for
/// every batch: the baseline of a statically pruned model.
@Suite struct StaticPlanTests {
    @Test func runsTheNamedPlanForEveryRequest() async throws {
        let server = try await RunningServer.start(
            models: ["fashion-mlp"], mode: .controller, staticPlans: ["fashion-mlp": "keep-12.5"])
        do {
            let config = try JSONValue(parsing: try await send(port: server.port, .GET, "/v2/models/fashion-mlp/config").body)
            #expect(config["zenith"]?["scheduling"] == "static_plan")
            #expect(config["zenith"]?["plans"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["keep-12.5"])

            // The answers are the plan's, not dense's: 32 images from the first where they differ.
            let scan = 0..<1000
            let plan = try await ReferenceModels.predictions(
                model: "fashion-mlp", plans: Array(repeating: "keep-12.5", count: scan.count), images: scan)
            let dense = try await ReferenceModels.predictions(
                model: "fashion-mlp", plans: Array(repeating: "dense", count: scan.count), images: scan)
            let first = try #require(scan.first { plan[$0] != dense[$0] }, "the plans agree on every image")
            let images = first..<min(first + 32, scan.upperBound)
            let expected = Array(plan[images])
            // An accuracy target above the plan's but within the model's best is valid, as it is
            // for the controller: the baseline serves it and the client judges what it got.
            let response = try await send(
                port: server.port, .POST, "/v2/models/fashion-mlp/infer",
                headers: [relaxed, ("zenith-accuracy-target", "0.9")],
                body: jsonInferRequest(model: "fashion-mlp", images))
            #expect(response.status == 200, "\(response.text)")
            let (logits, json) = try responseLogits(response)
            #expect(predictions(logits) == expected)
            #expect(json["parameters"]?["plan"] == "keep-12.5")
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func aPlanTheModelLacksIsRefusedNamingItsPlans() async throws {
        await #expect {
            _ = try await RunningServer.start(models: ["fashion-mlp"], staticPlans: ["fashion-mlp": "exit1-only"])
        } throws: { error in
            "\(error)".contains("--static-plan fashion-mlp=exit1-only") && "\(error)".contains("keep-12.5")
        }
    }
}
