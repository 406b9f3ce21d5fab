import Testing
import ZenithControl
import ZenithCore

/// The manual clock: instants are plain numbers of milliseconds or microseconds since zero.
func ms(_ value: Double) -> Instant { Instant(nanoseconds: UInt64((value * 1_000_000).rounded())) }
func us(_ value: Double) -> Instant { Instant(nanoseconds: UInt64((value * 1_000).rounded())) }
func nanos(ms value: Double) -> UInt64 { UInt64((value * 1_000_000).rounded()) }

/// Four plans with a linear cost per batch: `base + perItem × (n − 1)` µs, profiled at every size
/// up to 32 so the prior is exact at integer batch sizes.
enum Plans {
    static let dense = (name: "dense", accuracy: 0.92, base: 1000.0, perItem: 300.0)
    static let mid = (name: "mid", accuracy: 0.89, base: 600.0, perItem: 180.0)
    static let low = (name: "low", accuracy: 0.85, base: 350.0, perItem: 100.0)
    static let tiny = (name: "tiny", accuracy: 0.80, base: 200.0, perItem: 60.0)
    static let all = [dense, mid, low, tiny]

    static func micros(_ plan: Int, batch: Int) -> Double {
        all[plan].base + all[plan].perItem * Double(batch - 1)
    }

    static func profile(_ plans: [(name: String, accuracy: Double, base: Double, perItem: Double)] = all) -> ModelProfile {
        try! ModelProfile(
            plans: plans.map { plan in
                PlanProfile(
                    name: plan.name, expectedAccuracy: plan.accuracy,
                    latencyMicros: Dictionary(uniqueKeysWithValues: (1...32).map { ($0, plan.base + plan.perItem * Double($0 - 1)) }))
            })
    }
}

func makeController(
    profile: ModelProfile = Plans.profile(), workers: Int = 1, maxBatchSize: Int = 1, maxQueueDelayMs: Double = 0,
    policy: SLOPolicy = SLOPolicy(), lookAheadLimit: Int = 256, maxUtilization: Double = 0.6
) -> Controller {
    Controller(
        profile: profile,
        configuration: ControllerConfiguration(
            workers: workers, maxBatchSize: maxBatchSize, maxQueueDelayNanos: nanos(ms: maxQueueDelayMs),
            lookAheadLimit: lookAheadLimit, maxUtilization: maxUtilization),
        policy: policy)
}

/// A policy with the given infeasible policy and no default targets.
func policy(_ infeasible: InfeasiblePolicy = .reject, maxQueueDepth: Int = 1024) -> SLOPolicy {
    SLOPolicy(infeasiblePolicy: infeasible, maxQueueDepth: maxQueueDepth)
}

extension Controller {
    /// Submits and records an issue unless the request is admitted as expected.
    mutating func admit(
        _ id: RequestID, latencyMs: Double? = nil, accuracy: Double? = nil, priority: UInt64? = nil,
        at now: Instant, bestEffort: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let decision = submit(
            id: id, requested: RequestedSLO(latencyTargetMs: latencyMs, accuracyTarget: accuracy, priority: priority),
            now: now)
        guard case .admitted(_, let flagged) = decision, flagged == bestEffort else {
            Issue.record("\(id) was not admitted as expected: \(decision)", sourceLocation: sourceLocation)
            return
        }
    }

    /// The next action, which must be `.run`; records an issue and throws otherwise.
    mutating func run(at now: Instant, sourceLocation: SourceLocation = #_sourceLocation) throws -> Batch {
        let action = nextAction(now: now)
        guard case .run(let batch) = action else {
            Issue.record("expected a batch, got \(action)", sourceLocation: sourceLocation)
            throw NoBatch()
        }
        return batch
    }

    /// Runs batches until the controller stops producing them, returning them in order.
    mutating func drainRuns(at now: Instant) -> [Batch] {
        var batches: [Batch] = []
        while case .run(let batch) = nextAction(now: now) { batches.append(batch) }
        return batches
    }
}

struct NoBatch: Error {}

/// SplitMix64: a small deterministic generator so property tests and simulations repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
