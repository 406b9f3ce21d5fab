public import ZenithCore

/// Fixed settings of a model's controller (the run-time part is `SLOPolicy`).
public struct ControllerConfiguration: Sendable, Equatable {
    /// Executor workers that run batches in parallel.
    public var workers: Int
    /// Most requests in one batch.
    public var maxBatchSize: Int
    /// How long the oldest queued request may wait for company when the queue holds less than a batch.
    public var maxQueueDelayNanos: UInt64
    /// How many queued requests behind a batch the plan selection looks at (bounds its cost);
    /// 0 turns the look-ahead off, leaving the batch rule alone (see `PlanSelector`).
    public var lookAheadLimit: Int

    /// - Parameters:
    ///   - workers: executor workers, at least 1.
    ///   - maxBatchSize: batch size limit, at least 1.
    ///   - maxQueueDelayNanos: batching delay; 0 dispatches at once.
    ///   - lookAheadLimit: queued requests considered behind a batch, at least 0.
    public init(workers: Int = 1, maxBatchSize: Int = 1, maxQueueDelayNanos: UInt64 = 0, lookAheadLimit: Int = 256) {
        self.workers = max(workers, 1)
        self.maxBatchSize = max(maxBatchSize, 1)
        self.maxQueueDelayNanos = maxQueueDelayNanos
        self.lookAheadLimit = max(lookAheadLimit, 0)
    }

    /// The settings of a model's `dynamic_batching` block.
    public init(batching: BatchingSpec, workers: Int, lookAheadLimit: Int = 256) {
        self.init(
            workers: workers, maxBatchSize: batching.maxBatchSize,
            maxQueueDelayNanos: UInt64(max(batching.maxQueueDelayMicroseconds, 0)) * 1_000,
            lookAheadLimit: lookAheadLimit)
    }
}
