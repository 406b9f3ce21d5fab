import Testing
import ZenithControl
import ZenithCore
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// Target resolution: parameters, then headers, then (in the policy) class and model defaults.
@Suite struct SLOParametersTests {
    @Test func parametersWinOverHeaders() throws {
        let slo = try SLOParameters.requested(
            parameters: ["latency_target_ms": 5, "accuracy_target": 0.8, "slo_class": "gold"],
            headers: ["zenith-latency-target-ms": "50", "zenith-accuracy-target": "0.5", "zenith-slo-class": "bronze"])
        #expect(slo == RequestedSLO(latencyTargetMs: 5, accuracyTarget: 0.8, sloClass: "gold"))
    }

    @Test func headersServeClientsWithoutParameters() throws {
        let slo = try SLOParameters.requested(
            parameters: nil,
            headers: [
                "Zenith-Latency-Target-Ms": " 7.5 ", "zenith-accuracy-target": "0.9", "zenith-slo-class": "batch",
            ])
        #expect(slo == RequestedSLO(latencyTargetMs: 7.5, accuracyTarget: 0.9, sloClass: "batch"))
        #expect(try SLOParameters.requested(parameters: nil, headers: [:]) == RequestedSLO())
    }

    @Test func decimalHeaderNumbersAreRead() throws {
        for (text, value) in [("5", 5.0), ("-0.25", -0.25), ("6e4", 60000), ("1.5E-3", 0.0015), ("007", 7)] {
            let slo = try SLOParameters.requested(parameters: nil, headers: ["zenith-latency-target-ms": text])
            #expect(slo.latencyTargetMs == value, "\(text)")
        }
    }

    @Test func tritonTimeoutAndPriorityAreRead() throws {
        let slo = try SLOParameters.requested(parameters: ["timeout": 2500, "priority": 0], headers: [:])
        #expect(slo.timeoutMicros == 2500)
        #expect(slo.priority == 0)
    }

    @Test(arguments: [
        ((["latency_target_ms": "5"] as JSONObject), HTTPHeaderList(), "parameters.latency_target_ms must be a number"),
        ((["accuracy_target": true] as JSONObject), HTTPHeaderList(), "parameters.accuracy_target must be a number"),
        ((["slo_class": 1] as JSONObject), HTTPHeaderList(), "parameters.slo_class must be a string"),
        ((["timeout": -3] as JSONObject), HTTPHeaderList(), "parameters.timeout must be a non-negative integer"),
        ((["priority": "high"] as JSONObject), HTTPHeaderList(), "parameters.priority must be a non-negative integer"),
        (
            JSONObject(), (["zenith-latency-target-ms": "soon"] as HTTPHeaderList),
            "header zenith-latency-target-ms must be a number"
        ),
        (
            JSONObject(), (["zenith-accuracy-target": "high"] as HTTPHeaderList),
            "header zenith-accuracy-target must be a number"
        ),
        // Only decimal numbers: Swift's Double(_:) would read these.
        (JSONObject(), (["zenith-latency-target-ms": "0x10"] as HTTPHeaderList), "must be a number, not '0x10'"),
        (JSONObject(), (["zenith-latency-target-ms": "0x1p4"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": "nan"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": "inf"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": "+5"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": ".5"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": "5."] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-latency-target-ms": "5e"] as HTTPHeaderList), "must be a number"),
        (JSONObject(), (["zenith-accuracy-target": "0x0.8p0"] as HTTPHeaderList), "must be a number"),
        // A malformed header is an error even when a parameter would win.
        (
            (["accuracy_target": 0.5] as JSONObject), (["zenith-accuracy-target": "x"] as HTTPHeaderList),
            "header zenith-accuracy-target"
        ),
    ])
    func malformedTargetsAre400(parameters: JSONObject, headers: HTTPHeaderList, phrase: String) {
        #expect {
            try SLOParameters.requested(parameters: parameters, headers: headers)
        } throws: { error in
            guard let error = error as? RequestError else { return false }
            return error.status == 400 && error.message.contains(phrase)
        }
    }

    /// Impossible values are well-formed; the model's policy refuses them with a reason (400).
    @Test func impossibleTargetsAreRefusedByThePolicyWithAReason() throws {
        let policy = SLOPolicy(config: testConfig(), classTargets: ["gold": SLOTargets(latencyTargetMs: 2)])
        let arrival = Instant(nanoseconds: 1_000)
        func resolve(_ parameters: JSONObject, _ headers: HTTPHeaderList = [:]) throws -> Result<
            RequestTargets, InvalidTarget
        > {
            policy.resolve(
                try SLOParameters.requested(parameters: parameters, headers: headers), arrival: arrival,
                bestAccuracy: 0.92)
        }
        #expect(try resolve(["latency_target_ms": 0]) == .failure(.latencyNotPositive(0)))
        #expect(try resolve(["latency_target_ms": -4]) == .failure(.latencyNotPositive(-4)))
        #expect(try resolve(["accuracy_target": 1.5]) == .failure(.accuracyOutOfRange(1.5)))
        #expect(try resolve(["accuracy_target": 0.95]) == .failure(.accuracyAboveModel(requested: 0.95, best: 0.92)))
        #expect(try resolve(["slo_class": "platinum"]) == .failure(.unknownSLOClass("platinum")))
        // A decimal too large for a Double is well-formed and infinite: the policy refuses it.
        guard case .failure(.latencyNotPositive) = try resolve([:], ["zenith-latency-target-ms": "1e400"]) else {
            Issue.record("an infinite latency target must be refused")
            return
        }
        let failure = InferenceFailure.invalidTarget(.accuracyAboveModel(requested: 0.95, best: 0.92)).requestError
        #expect(failure.status == 400)
        #expect(failure.reason == "invalid_target")
        #expect(failure.message.contains("above the model's best expected accuracy"))
    }

    @Test func targetsFallBackToTheClassThenTheModel() throws {
        let policy = SLOPolicy(config: testConfig(), classTargets: ["gold": SLOTargets(latencyTargetMs: 2)])
        let arrival = Instant(nanoseconds: 0)
        let gold = try policy.resolve(
            SLOParameters.requested(parameters: ["slo_class": "gold"], headers: [:]), arrival: arrival,
            bestAccuracy: 0.92
        ).get()
        #expect(gold.deadline == Instant(nanoseconds: 2_000_000))
        #expect(gold.accuracyTarget == 0.9)  // the model default
        let plain = try policy.resolve(
            SLOParameters.requested(parameters: nil, headers: [:]), arrival: arrival, bestAccuracy: 0.92
        ).get()
        #expect(plain.deadline == Instant(nanoseconds: 10_000_000))
        let timed = try policy.resolve(
            SLOParameters.requested(parameters: ["timeout": 500], headers: [:]), arrival: arrival, bestAccuracy: 0.92
        ).get()
        #expect(timed.deadline == Instant(nanoseconds: 500_000))
    }
}
