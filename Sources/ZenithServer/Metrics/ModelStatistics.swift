import Foundation
import Synchronization
import ZenithJSON

/// Per-model counters for `GET /v2/models/{m}/stats`, in Triton's statistics shape plus a
/// `zenith` section (plan mix, exits, SLO attainment, rejects by reason).
final class ModelStatistics: Sendable {
    private struct Duration {
        var count = 0
        var nanos: UInt64 = 0

        mutating func add(_ nanos: UInt64) {
            count += 1
            self.nanos &+= nanos
        }

        var json: JSONValue { ["count": JSONValue(count), "ns": .int(Int64(clamping: nanos))] }
    }

    private struct Counts {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInfer = Duration()
        var inferenceCount = 0
        var executionCount = 0
        var lastInferenceMillis: Int64 = 0
        var batches: [Int: Duration] = [:]
        var planSamples: [String: Int] = [:]
        var planExits: [String: Int] = [:]
        var sloMet = 0
        var sloMissed = 0
        var rejects: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())

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

    /// A batch the executor ran.
    func executed(plan: String, samples: Int, exits: Int, computeNanos: UInt64) {
        counts.withLock { counts in
            counts.executionCount += 1
            counts.batches[samples, default: Duration()].add(computeNanos)
            counts.planSamples[plan, default: 0] += samples
            counts.planExits[plan, default: 0] += exits
        }
    }

    /// The `model_stats` entry of this model.
    func json(name: String, version: String) -> JSONValue {
        let counts = counts.withLock { $0 }
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
                "plans": .object(
                    JSONObject(counts.planSamples.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
                "exits": .object(
                    JSONObject(counts.planExits.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
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
