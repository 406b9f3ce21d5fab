import Foundation
public import ZenithData
public import ZenithExecutor
public import ZenithJSON

/// Measures what the controller needs to know of each plan: expected accuracy on the
/// validation split, and latency per batch size on this machine.
public enum Profiler {
    public static let batchSizes = [1, 2, 4, 8, 16, 32]

    /// `Profiles/<model>/accuracy.json`: validation accuracy, exit rate and cost per plan.
    public static func accuracyProfile(model: Model, validation: LabelledImages) throws -> JSONValue {
        let executor = Executor(model: model)
        let dense = try Evaluation.denseMultiplyAdds(executor, sample: validation)
        var plans: [JSONValue] = []
        for (index, name) in model.planNames.enumerated() {
            let run = try Evaluation.measure(executor, plan: index, images: validation, batch: model.config.maxBatchSize)
            plans.append([
                "name": .string(name), "accuracy": .double(rounded(run.accuracy, 5)),
                "exit_rate": .double(rounded(run.exitRate, 4)),
                "flops_fraction": .double(rounded(run.multiplyAdds / dense, 4)),
            ])
        }
        let split = model.config.validation.map { "\($0.source)[\($0.start)..<\($0.start + $0.count)]" } ?? "validation"
        return [
            "model": .string(model.name),
            "split": .string(split),
            "images": JSONValue(validation.count),
            "plans": .array(plans),
        ]
    }

    /// `Profiles/<model>/latency.json`: per plan and batch size, microseconds per batch.
    ///
    /// Each cell runs consecutive validation images (so exits happen at their real rate)
    /// for at least `minIterations` batches and `minSeconds`.
    public static func latencyProfile(
        model: Model, validation: LabelledImages, batchSizes: [Int] = batchSizes,
        minIterations: Int = 20, minSeconds: Double = 0.15, progress: (String) -> Void = { _ in }
    ) throws -> JSONValue {
        let executor = Executor(model: model, maxBatch: batchSizes.max() ?? 1)
        let machine = MachineInfo.current()
        var output: [Float] = []
        var plans: [JSONValue] = []
        for (index, name) in model.planNames.enumerated() {
            progress("\(model.name): latency of plan \(index + 1)/\(model.planNames.count) \(name) at batch \(batchSizes)")
            var cells = JSONObject()
            for batch in batchSizes {
                var samples: [UInt64] = []
                var offset = 0
                let started = ContinuousClock.now
                while samples.count < minIterations || ContinuousClock.now - started < .seconds(minSeconds) {
                    if offset + batch > validation.count { offset = 0 }
                    let report = try executor.run(
                        plan: index, input: Array(validation.pixels(offset..<(offset + batch))), batch: batch, output: &output)
                    samples.append(report.computeNanoseconds)
                    offset += batch
                }
                let summary = LatencySummary(nanoseconds: samples)
                cells[String(batch)] = [
                    "mean": .double(rounded(summary.mean, 1)), "p50": .double(rounded(summary.p50, 1)),
                    "p99": .double(rounded(summary.p99, 1)), "iterations": JSONValue(summary.count),
                ]
            }
            plans.append(["name": .string(name), "latency_us": .object(cells)])
        }
        return [
            "model": .string(model.name),
            "cpu": .string(machine.cpuModel),
            "cores": JSONValue(machine.cores),
            "blas": .string(machine.blas),
            "blas_threads": JSONValue(BLAS.threadCount),
            "measured_at": .string(ISO8601DateFormatter().string(from: Date())),
            "batch_sizes": JSONValue(batchSizes),
            "plans": .array(plans),
        ]
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}
