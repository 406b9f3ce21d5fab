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
    /// Share of each latency target the controller keeps out of its plans, for what it does not
    /// schedule: the transport before and after it, and prediction error (0 plans to the target).
    public var deadlineHeadroom: Double
    /// Highest share of the workers' time the plan choice may plan to use at the recent arrival
    /// rate: a plan that could not keep up with it is not chosen while a cheaper candidate can.
    /// The workers' time is what the rest of the process leaves them (`WorkerCapacity`).
    public var maxUtilization: Double
    /// Cores the process may use, shared by the workers and the rest of the process; `nil`: one
    /// per worker, with nothing else on them.
    public var cores: Double?

    /// - Parameters:
    ///   - workers: executor workers, at least 1.
    ///   - maxBatchSize: batch size limit, at least 1.
    ///   - maxQueueDelayNanos: batching delay; 0 dispatches at once.
    ///   - lookAheadLimit: queued requests considered behind a batch, at least 0.
    ///   - deadlineHeadroom: share of latency targets held back, clamped to 0...0.9.
    ///   - maxUtilization: share of the workers' time plans may need at the arrival rate, 0.05...1
    ///     (see `WorkerCapacity.planCores`).
    ///   - cores: cores the process may use; `nil` if the workers have theirs to themselves.
    public init(
        workers: Int = 1, maxBatchSize: Int = 1, maxQueueDelayNanos: UInt64 = 0, lookAheadLimit: Int = 256,
        deadlineHeadroom: Double = 0, maxUtilization: Double = 0.6, cores: Double? = nil
    ) {
        self.workers = max(workers, 1)
        self.maxBatchSize = max(maxBatchSize, 1)
        self.maxQueueDelayNanos = maxQueueDelayNanos
        self.lookAheadLimit = max(lookAheadLimit, 0)
        self.deadlineHeadroom = deadlineHeadroom.isFinite ? min(max(deadlineHeadroom, 0), 0.9) : 0
        self.maxUtilization = maxUtilization.isFinite ? min(max(maxUtilization, 0.05), 1) : 0.6
        self.cores = cores
    }

    /// The settings of a model's `dynamic_batching` block.
    public init(
        batching: BatchingSpec, workers: Int, lookAheadLimit: Int = 256, deadlineHeadroom: Double = 0,
        maxUtilization: Double = 0.6, cores: Double? = nil
    ) {
        self.init(
            workers: workers, maxBatchSize: batching.maxBatchSize,
            maxQueueDelayNanos: UInt64(max(batching.maxQueueDelayMicroseconds, 0)) * 1_000,
            lookAheadLimit: lookAheadLimit, deadlineHeadroom: deadlineHeadroom, maxUtilization: maxUtilization,
            cores: cores)
    }

    /// The deadline the controller plans for: `targets.deadline` brought forward by the headroom,
    /// or by `overheadNanos` (the time requests recently spent around the compute) if longer, but
    /// by that time at most half the target.
    ///
    /// Past half the target the time around the compute is a stall (a descheduled event loop, a
    /// saturated frontend) that no plan choice repairs, and planning for all of it would refuse
    /// every request: refusals cost the frontend nearly what answers do, and with no answers the
    /// estimate would learn nothing new.
    func planningDeadline(_ targets: RequestTargets, overheadNanos: UInt64 = 0) -> Instant {
        guard targets.deadline != .distantFuture, targets.deadline > targets.arrival else {
            return targets.deadline
        }
        let spanNanos = targets.deadline.nanoseconds(since: targets.arrival)
        let span = Double(spanNanos)
        let headroom = targets.arrival.advanced(by: UInt64(span * (1 - deadlineHeadroom)))
        return min(headroom, targets.deadline.retreated(by: min(overheadNanos, spanNanos / 2)))
    }
}
