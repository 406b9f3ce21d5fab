public import ZenithJSON
public import ZenithData
public import ZenithExecutor

/// Accuracy and cost of one plan, as `zenith eval` reports it.
public struct PlanEvaluation: Sendable {
    public var plan: String
    public var testAccuracy: Double
    public var validationAccuracy: Double
    /// Per-sample latency at batch 1 over the test set.
    public var latency: LatencySummary
    /// Mean multiply-adds per sample relative to the dense trunk.
    public var flopsFraction: Double
    public var exitRate: Double
}

/// Runs every plan of a model over the real labelled test and validation images.
public enum Evaluation {
    /// - Parameters:
    ///   - test: labelled images for test accuracy and batch-1 latency (the 10k test set).
    ///   - validation: labelled images the plans were tuned on, run in batches.
    ///   - plans: plan names to run; all when `nil`.
    ///   - progress: told as each plan starts (a model's plan can take a minute).
    public static func run(
        model: Model, test: LabelledImages, validation: LabelledImages, plans: [String]? = nil,
        progress: (String) -> Void = { _ in }
    ) throws -> [PlanEvaluation] {
        let executor = Executor(model: model)
        let dense = try denseMultiplyAdds(executor, sample: test)
        var results: [PlanEvaluation] = []
        let chosen = model.planNames.enumerated().filter { plans?.contains($0.element) ?? true }
        for (index, name) in chosen {
            progress("\(model.name): plan \(results.count + 1)/\(chosen.count) \(name): \(test.count) test images at batch 1")
            let testRun = try measure(executor, plan: index, images: test, batch: 1)
            let validationRun = try measure(executor, plan: index, images: validation, batch: model.config.maxBatchSize)
            results.append(
                PlanEvaluation(
                    plan: name, testAccuracy: testRun.accuracy, validationAccuracy: validationRun.accuracy,
                    latency: LatencySummary(nanoseconds: testRun.nanoseconds),
                    flopsFraction: testRun.multiplyAdds / dense, exitRate: testRun.exitRate))
        }
        return results
    }

    struct Run {
        var accuracy: Double
        var exitRate: Double
        /// Mean per sample.
        var multiplyAdds: Double
        /// One entry per batch.
        var nanoseconds: [UInt64]
    }

    /// Runs `images` through plan `plan` in batches of `batch` and scores the argmax.
    static func measure(_ executor: Executor, plan: Int, images: LabelledImages, batch: Int) throws -> Run {
        let classes = executor.model.classCount
        var output: [Float] = []
        var correct = 0
        var exits = 0
        var multiplyAdds = 0
        var nanoseconds: [UInt64] = []
        nanoseconds.reserveCapacity(images.count / batch + 1)
        var start = 0
        while start < images.count {
            let end = min(images.count, start + batch)
            let report = try executor.run(plan: plan, input: Array(images.pixels(start..<end)), batch: end - start, output: &output)
            for sample in 0..<(end - start) {
                let logits = output[(sample * classes)..<((sample + 1) * classes)]
                if argmax(logits) == images.labels[start + sample] { correct += 1 }
            }
            exits += report.exitCount
            multiplyAdds += report.multiplyAdds
            nanoseconds.append(report.computeNanoseconds)
            start = end
        }
        let n = Double(max(1, images.count))
        return Run(accuracy: Double(correct) / n, exitRate: Double(exits) / n, multiplyAdds: Double(multiplyAdds) / n, nanoseconds: nanoseconds)
    }

    /// Multiply-adds the executor performs for one sample of the dense plan (with Winograd
    /// convolutions fewer than the textbook count), the base of every plan's FLOPs fraction.
    static func denseMultiplyAdds(_ executor: Executor, sample images: LabelledImages) throws -> Double {
        try measure(executor, plan: 0, images: images.subset(0..<1), batch: 1).multiplyAdds
    }

    static func argmax(_ values: ArraySlice<Float>) -> Int {
        var best = values.startIndex
        for i in values.indices where values[i] > values[best] { best = i }
        return best - values.startIndex
    }
}

extension Evaluation {
    /// The `zenith eval --json` document.
    public static func report(model: Model, data: EvaluationData, results: [PlanEvaluation], machine: MachineInfo) -> JSONValue {
        [
            "model": .string(model.name), "cpu": .string(machine.cpuModel), "blas": .string(machine.blas),
            "test_images": JSONValue(data.test.count), "validation_images": JSONValue(data.validation.count),
            "dense_multiply_adds_direct": JSONValue(model.denseMultiplyAdds),
            "plans": .array(results.map(\.json)),
        ]
    }
}

extension PlanEvaluation {
    public var json: JSONValue {
        [
            "name": .string(plan),
            "test_accuracy": .double(Profiler.rounded(testAccuracy, 5)),
            "validation_accuracy": .double(Profiler.rounded(validationAccuracy, 5)),
            "latency_us": [
                "p50": .double(Profiler.rounded(latency.p50, 1)), "p99": .double(Profiler.rounded(latency.p99, 1)),
                "mean": .double(Profiler.rounded(latency.mean, 1)),
            ],
            "flops_fraction": .double(Profiler.rounded(flopsFraction, 4)),
            "exit_rate": .double(Profiler.rounded(exitRate, 4)),
        ]
    }
}
