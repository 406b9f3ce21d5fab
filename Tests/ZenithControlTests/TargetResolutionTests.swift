import Testing
import ZenithControl
import ZenithCore

@Suite struct TargetResolutionTests {
    static let policy = SLOPolicy(
        modelDefaults: SLOTargets(latencyTargetMs: 50, accuracyTarget: 0.80),
        classTargets: ["gold": SLOTargets(latencyTargetMs: 10, accuracyTarget: nil)],
        infeasiblePolicy: .bestEffort)

    func resolve(_ requested: RequestedSLO, policy: SLOPolicy = policy) -> Result<RequestTargets, InvalidTarget> {
        policy.resolve(requested, arrival: ms(100), bestAccuracy: 0.92)
    }

    @Test func eachFieldComesFromTheRequestElseItsClassElseTheModelDefault() throws {
        let defaults = try resolve(RequestedSLO()).get()
        #expect(defaults.deadline == ms(150) && defaults.accuracyTarget == 0.80)
        #expect(defaults.policy == .bestEffort && defaults.arrival == ms(100))

        // The class sets the latency and leaves the accuracy to the model default.
        let gold = try resolve(RequestedSLO(sloClass: "gold")).get()
        #expect(gold.deadline == ms(110) && gold.accuracyTarget == 0.80)

        // The request overrides its class, field by field.
        let request = try resolve(RequestedSLO(latencyTargetMs: 2.5, accuracyTarget: 0.9, sloClass: "gold")).get()
        #expect(request.deadline == ms(102.5) && request.accuracyTarget == 0.9)
    }

    @Test func withoutAnyTargetTheDeadlineIsNeverAndAnyAccuracyDoes() throws {
        let targets = try resolve(RequestedSLO(), policy: SLOPolicy()).get()
        #expect(targets.deadline == .distantFuture && targets.accuracyTarget == 0)
        #expect(targets.expiry == nil)
    }

    @Test func impossibleTargetsAreRejectedWithAReason() {
        #expect(resolve(RequestedSLO(latencyTargetMs: 0)) == .failure(.latencyNotPositive(0)))
        #expect(resolve(RequestedSLO(latencyTargetMs: -3)) == .failure(.latencyNotPositive(-3)))
        #expect(resolve(RequestedSLO(latencyTargetMs: .infinity)) == .failure(.latencyNotPositive(.infinity)))
        guard case .failure(.latencyNotPositive) = resolve(RequestedSLO(latencyTargetMs: .nan)) else {
            Issue.record("a NaN latency target was accepted")
            return
        }
        #expect(resolve(RequestedSLO(accuracyTarget: 1.2)) == .failure(.accuracyOutOfRange(1.2)))
        #expect(resolve(RequestedSLO(accuracyTarget: -0.1)) == .failure(.accuracyOutOfRange(-0.1)))
        #expect(resolve(RequestedSLO(accuracyTarget: 0.95)) == .failure(.accuracyAboveModel(requested: 0.95, best: 0.92)))
        #expect(resolve(RequestedSLO(sloClass: "platinum")) == .failure(.unknownSLOClass("platinum")))
        // Exactly the best accuracy is possible.
        #expect((try? resolve(RequestedSLO(accuracyTarget: 0.92)).get()) != nil)
        #expect(InvalidTarget.unknownSLOClass("platinum").description.contains("platinum"))
    }

    @Test func tritonTimeoutCapsTheDeadlineAndExpiresTheRequestWhateverThePolicy() throws {
        let capped = try resolve(RequestedSLO(latencyTargetMs: 50, timeoutMicros: 5_000)).get()
        #expect(capped.deadline == ms(105) && capped.timeout == ms(105))
        // Best-effort requests are served late, but never past their timeout.
        #expect(capped.policy == .bestEffort && capped.expiry == ms(105))

        let loose = try resolve(RequestedSLO(latencyTargetMs: 2, timeoutMicros: 5_000)).get()
        #expect(loose.deadline == ms(102) && loose.expiry == ms(105))

        // A timeout of 0 is Triton's "none".
        let none = try resolve(RequestedSLO(timeoutMicros: 0)).get()
        #expect(none.timeout == nil && none.deadline == ms(150))
    }

    @Test func underTheRejectPolicyARequestExpiresAtItsDeadline() throws {
        let targets = try resolve(RequestedSLO(latencyTargetMs: 20), policy: SLOPolicy(infeasiblePolicy: .reject)).get()
        #expect(targets.expiry == ms(120))
    }

    @Test func tritonPriorityZeroOrOutOfRangeGetsTheDefaultLevel() throws {
        let policy = SLOPolicy(priorityLevels: 3, defaultPriorityLevel: 2)
        func level(_ priority: UInt64?) throws -> UInt32 { try resolve(RequestedSLO(priority: priority), policy: policy).get().priority }
        #expect(try level(nil) == 2)
        #expect(try level(0) == 2)
        #expect(try level(1) == 1)
        #expect(try level(3) == 3)
        #expect(try level(4) == 2)
    }

    @Test func aReplacedPolicyAppliesToTheNextRequestOnly() throws {
        var controller = makeController(policy: SLOPolicy(modelDefaults: SLOTargets(latencyTargetMs: 30)))
        controller.admit(1, at: ms(0))
        try controller.setPolicy(SLOPolicy(modelDefaults: SLOTargets(latencyTargetMs: 5)))
        #expect(controller.submit(id: 2, requested: RequestedSLO(), now: ms(0)) == .admitted(deadline: ms(5), bestEffort: false))
        // The first request keeps the deadline it was admitted with.
        #expect(controller.queue.prefix(2).map(\.targets.deadline) == [ms(5), ms(30)])
    }

    @Test func aPolicyWithImpossibleDefaultsIsRefusedAndTheOldOneKept() {
        var controller = makeController(policy: SLOPolicy(modelDefaults: SLOTargets(latencyTargetMs: 30)))
        #expect(throws: InvalidTarget.accuracyAboveModel(requested: 0.99, best: 0.92)) {
            try controller.setPolicy(SLOPolicy(classTargets: ["gold": SLOTargets(accuracyTarget: 0.99)]))
        }
        #expect(throws: InvalidTarget.latencyNotPositive(0)) {
            try controller.setPolicy(SLOPolicy(modelDefaults: SLOTargets(latencyTargetMs: 0)))
        }
        #expect(controller.policy.modelDefaults.latencyTargetMs == 30)
    }

    @Test func invalidTargetsAreAnsweredByTheController() {
        var controller = makeController()
        #expect(
            controller.submit(id: 1, requested: RequestedSLO(accuracyTarget: 0.93), now: ms(0))
                == .invalid(.accuracyAboveModel(requested: 0.93, best: 0.92)))
        #expect(controller.submit(id: 1, requested: RequestedSLO(latencyTargetMs: -1), now: ms(0)) == .invalid(.latencyNotPositive(-1)))
        #expect(controller.queueDepth == 0)
        controller.admit(1, at: ms(0))
        #expect(controller.submit(id: 1, requested: RequestedSLO(), now: ms(0)) == .invalid(.duplicateRequestID(1)))
    }
}
