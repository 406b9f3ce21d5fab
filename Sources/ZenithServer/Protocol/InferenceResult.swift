public import ZenithControl

/// What the scheduler did for one request: the outputs and, per sample, how they were made.
public struct InferenceResult: Sendable, Equatable {
    /// `batchSize × classes` logits, sample-major.
    public var logits: [Float]
    /// One per sample, in request order.
    public var samples: [SampleReport]
    /// The request's latency deadline (`.distantFuture` without a latency target).
    public var deadline: Instant

    public init(logits: [Float], samples: [SampleReport], deadline: Instant = .distantFuture) {
        self.logits = logits
        self.samples = samples
        self.deadline = deadline
    }

    /// The result with every sample's `sloMet` set to `met`: the SLO is judged for the request
    /// as a whole when its answer is ready, and again when it has left.
    public func judged(met: Bool) -> InferenceResult {
        // Most answers leave as judged when ready: then the samples are not copied.
        guard samples.contains(where: { $0.sloMet != met }) else { return self }
        var judged = self
        for index in judged.samples.indices { judged.samples[index].sloMet = met }
        return judged
    }
}

/// How one sample of a request was served.
public struct SampleReport: Sendable, Equatable {
    /// The plan its batch ran.
    public var plan: String
    /// The plan's expected accuracy (validation split).
    public var expectedAccuracy: Double
    /// Whether it left at the early-exit branch.
    public var exited: Bool
    /// Arrival to dispatch.
    public var queueNanos: UInt64
    /// The executor's time for the whole batch it was part of.
    public var computeNanos: UInt64
    /// Size of that batch.
    public var batchSize: Int
    /// Identifies that batch, so a request's compute is not counted twice for samples sharing one.
    public var batch: UInt64
    /// Finished by its deadline (always, without a latency target): when its batch finished, in
    /// the scheduler's report; when the answer was ready or left, once the server judged it.
    public var sloMet: Bool
    /// Served although no plan was predicted to meet its deadline (best-effort policy).
    public var bestEffort: Bool

    public init(
        plan: String, expectedAccuracy: Double, exited: Bool, queueNanos: UInt64, computeNanos: UInt64,
        batchSize: Int, batch: UInt64, sloMet: Bool, bestEffort: Bool
    ) {
        self.plan = plan
        self.expectedAccuracy = expectedAccuracy
        self.exited = exited
        self.queueNanos = queueNanos
        self.computeNanos = computeNanos
        self.batchSize = batchSize
        self.batch = batch
        self.sloMet = sloMet
        self.bestEffort = bestEffort
    }
}

extension InferenceResult {
    /// The longest queue wait of the request's samples.
    public var queueNanos: UInt64 { samples.reduce(0) { max($0, $1.queueNanos) } }

    /// Executor time of the batches that served the request, each counted once.
    public var computeNanos: UInt64 {
        if samples.count == 1 { return samples[0].computeNanos }
        var seen: Set<UInt64> = []
        return samples.reduce(0) { sum, sample in seen.insert(sample.batch).inserted ? sum + sample.computeNanos : sum }
    }

    /// Whether every sample met its SLO.
    public var sloMet: Bool { samples.allSatisfy(\.sloMet) }

    /// The least accurate plan used, the one the request's expected accuracy rests on.
    public var weakestSample: SampleReport? { samples.min { $0.expectedAccuracy < $1.expectedAccuracy } }
}
