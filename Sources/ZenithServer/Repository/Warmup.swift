import ZenithExecutor

/// The start-up warm-up: runs every plan a few times on this machine, so the latency model
/// starts from what the machine does now rather than what the profile measured elsewhere, and
/// the executor's pages and caches are warm before the first request.
struct Warmup {
    /// One (plan, batch size) measurement: the median of `iterations` runs.
    struct Sample {
        var plan: Int
        var batch: Int
        var nanos: UInt64
    }

    /// Inputs to run: real images when the model ships its golden set, else zeros (a zero image
    /// exits early less often than a real one, so it errs on the slow side).
    var inputs: [Float]
    var iterations: Int

    /// - Parameters:
    ///   - model: the model; `golden.safetensors` beside its weights provides real inputs.
    ///   - iterations: timed runs per point, after one untimed run.
    init(model: Model, iterations: Int) {
        let golden = "\(model.directory)/\(model.config.version)/golden.safetensors"
        let real = (try? SafeTensors(contentsOf: golden).floats("input")) ?? []
        let needed = model.inputElementCount * max(model.config.maxBatchSize, model.config.batching.maxBatchSize)
        inputs = real.count >= needed ? Array(real.prefix(needed)) : [Float](repeating: 0, count: needed)
        self.iterations = max(1, iterations)
    }

    /// Measures each of `plans` at each of `batches` (sizes up to the model's `max_batch_size`).
    func measure(model: Model, plans: [Int], batches: [Int]) throws -> [Sample] {
        let largest = max(model.config.maxBatchSize, model.config.batching.maxBatchSize)
        let executor = Executor(model: model, maxBatch: largest)
        var output: [Float] = []
        var samples: [Sample] = []
        for plan in plans {
            for batch in batches where batch >= 1 && batch <= largest {
                let input = Array(inputs.prefix(batch * model.inputElementCount))
                _ = try executor.run(plan: plan, input: input, batch: batch, output: &output)
                var times: [UInt64] = []
                for _ in 0..<iterations {
                    times.append(
                        try executor.run(plan: plan, input: input, batch: batch, output: &output).computeNanoseconds)
                }
                samples.append(Sample(plan: plan, batch: batch, nanos: max(times.sorted()[times.count / 2], 1)))
            }
        }
        return samples
    }
}
