import Foundation
import ZenithJSON

/// Per-model counters for `GET /v2/models/{m}/stats`, in Triton's statistics shape plus a
/// `zenith` section (plan mix, exits, SLO attainment, rejects by reason).
final class ModelStatistics: Sendable {
    /// How many and how long, as Triton's `StatisticDuration`.
    struct Duration {
        var count = 0
        var nanos: UInt64 = 0

        mutating func add(_ nanos: UInt64) {
            count += 1
            self.nanos &+= nanos
        }

        var json: JSONValue { ["count": JSONValue(count), "ns": .int(Int64(clamping: nanos))] }
    }

    /// The counters at one moment (``snapshot()``), for each protocol's statistics document.
    struct Counts {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInfer = Duration()
        var inferenceCount = 0
        var executionCount = 0
        var lastInferenceMillis: Int64 = 0
        var batches: [Int: Duration] = [:]
        /// Per plan index: batches run, samples, exits (a plan that never ran is not reported).
        var planBatches: [Int]
        var planSamples: [Int]
        var planExits: [Int]
        var sloMet = 0
        var sloMissed = 0
        var rejects: [String: Int] = [:]
    }

    /// The model's plan names, in the order of `ModelProfile.plans`.
    private let plans: [String]
    private let counts: Locked<Counts>

    /// - Parameter plans: the model's plan names, in the order of `ModelProfile.plans`.
    init(plans: [String]) {
        self.plans = plans
        let zeros = Array(repeating: 0, count: plans.count)
        counts = Locked(Counts(planBatches: zeros, planSamples: zeros, planExits: zeros))
    }

    /// A request answered with outputs.
    func served(_ result: InferenceResult, totalNanos: UInt64) {
        let now = Self.wallClockMillis()
        counts.withLock { counts in
            counts.success.add(totalNanos)
            counts.queue.add(result.queueNanos)
            counts.computeInfer.add(result.computeNanos)
            counts.inferenceCount += result.samples.count
            counts.lastInferenceMillis = now
            if result.sloMet { counts.sloMet += 1 } else { counts.sloMissed += 1 }
        }
    }

    /// A request answered without outputs; `missedSLO` for refusals and expiries.
    func failed(reason: String, totalNanos: UInt64, missedSLO: Bool) {
        counts.withLock { counts in
            counts.fail.add(totalNanos)
            counts.rejects[reason, default: 0] += 1
            if missedSLO { counts.sloMissed += 1 }
        }
    }

    /// A batch the executor ran with the plan at index `plan` of the model's plans.
    func executed(plan: Int, samples: Int, exits: Int, computeNanos: UInt64) {
        counts.withLock { counts in
            counts.executionCount += 1
            counts.batches[samples, default: Duration()].add(computeNanos)
            guard counts.planSamples.indices.contains(plan) else { return }
            counts.planBatches[plan] += 1
            counts.planSamples[plan] += samples
            counts.planExits[plan] += exits
        }
    }

    /// `(name, count)` of the plans that ran, by name.
    private func perPlan(_ values: [Int], batches: [Int]) -> [(String, JSONValue)] {
        plans.indices.filter { batches[$0] > 0 }.map { (plans[$0], JSONValue(values[$0])) }.sorted { $0.0 < $1.0 }
    }

    /// The counters now.
    func snapshot() -> Counts {
        counts.withLock { $0 }
    }

    /// The `model_stats` entry of this model.
    func json(name: String, version: String) -> JSONValue {
        let counts = snapshot()
        let judged = counts.sloMet + counts.sloMissed
        return [
            "name": .string(name),
            "version": .string(version),
            "last_inference": .int(counts.lastInferenceMillis),
            "inference_count": JSONValue(counts.inferenceCount),
            "execution_count": JSONValue(counts.executionCount),
            "inference_stats": [
                "success": counts.success.json,
                "fail": counts.fail.json,
                "queue": counts.queue.json,
                "compute_input": Duration().json,
                "compute_infer": counts.computeInfer.json,
                "compute_output": Duration().json,
            ],
            "batch_stats": .array(
                counts.batches.sorted { $0.key < $1.key }.map { size, duration in
                    ["batch_size": JSONValue(size), "compute_infer": duration.json]
                }),
            "zenith": [
                "plans": .object(JSONObject(perPlan(counts.planSamples, batches: counts.planBatches))),
                "exits": .object(JSONObject(perPlan(counts.planExits, batches: counts.planBatches))),
                "slo": [
                    "met": JSONValue(counts.sloMet), "missed": JSONValue(counts.sloMissed),
                    "attainment": judged == 0 ? .null : .double(Double(counts.sloMet) / Double(judged)),
                ],
                "rejects": .object(
                    JSONObject(counts.rejects.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
            ],
        ]
    }

    private static func wallClockMillis() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
