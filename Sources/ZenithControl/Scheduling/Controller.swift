/// The controller of one model: admission, the deadline queue, batching, plan selection and the
/// latency model, as a state machine without I/O (ARCHITECTURE.md §1, steps 2–4).
///
/// The server owns one per model (behind whatever isolation it uses) and drives it:
/// - `submit(id:requested:now:)` when a request arrives — admit, reject or refuse it;
/// - `nextAction(now:)` after every submission and completion, and at the instant a `.wait` names,
///   until it answers `.wait` or `.idle` — run a batch, expire requests, or wait;
/// - `completed(_:measuredNanos:now:)` (or `failed(_:)`) when a worker finishes a batch.
///
/// Time is whatever monotonic clock the server reads, passed in as `now`; tests pass numbers.
public struct Controller: Sendable {
    /// The model's plans, dense first.
    public let profile: ModelProfile
    public let configuration: ControllerConfiguration
    /// The operator's policy; replace it with `setPolicy(_:)`.
    public internal(set) var policy: SLOPolicy
    /// Execution time predictions, calibrated at start-up and corrected online.
    /// Change it only through `calibrate` and `completed`, which keep `costs` in step.
    public private(set) var latency: LatencyModel
    /// The admitted requests not yet dispatched or expired.
    public internal(set) var queue = DeadlineQueue()
    var workers: WorkerPool
    /// Samples submitted per second, recently.
    var arrivals = ArrivalRate()
    /// The cores the workers have, with what the rest of the process uses taken out.
    public private(set) var capacity: WorkerCapacity
    var nextBatchID: UInt64 = 0
    /// When a batch last finished and taught the latency model (`nil`: none has yet).
    var lastCompletion: Instant?
    /// `latency`'s predictions, tabled per batch size.
    private(set) var costs: PlanCosts
    /// The time a request spends in the server outside the queue and the executor (decoding,
    /// hops between threads, encoding, writing): its 99.8th percentile over the answers of the
    /// last two seconds.
    var overhead = WindowedQuantile(quantile: 0.998, windowNanos: 2_000_000_000)
    /// Admission's last walk over the whole queue, resumed by the next admission when still valid.
    var backlogWalk: BacklogWalk?
    /// Whether admission resumes `backlogWalk` (tests turn it off to compare with full walks).
    var resumesBacklogWalk = true
    /// Admissions that resumed `backlogWalk` instead of walking the queue.
    var resumedBacklogWalks = 0

    /// - Parameters:
    ///   - profile: the model's plans.
    ///   - configuration: workers and batching limits.
    ///   - policy: the operator's initial policy.
    ///   - latency: a latency model to start from (for instance one calibrated by a previous
    ///     controller); the profile's priors by default.
    public init(
        profile: ModelProfile, configuration: ControllerConfiguration, policy: SLOPolicy,
        latency: LatencyModel? = nil
    ) {
        self.profile = profile
        self.configuration = configuration
        self.policy = policy
        let latency = latency ?? LatencyModel(profile: profile)
        self.latency = latency
        self.workers = WorkerPool(count: configuration.workers)
        self.capacity = WorkerCapacity(cores: configuration.cores, workers: configuration.workers)
        self.costs = PlanCosts(plans: profile.plans, latency: latency, maxBatchSize: configuration.maxBatchSize)
    }

    /// Requests waiting in the queue.
    public var queueDepth: Int { queue.count }

    /// Workers running a batch.
    public var busyWorkers: Int { workers.busyCount }

    /// Per worker, the predicted end of the batch it runs, or `nil` when it is idle.
    public var workerBusyUntil: [Instant?] { workers.jobs.map { $0?.predictedEnd } }

    /// Replaces the operator's policy from the next submitted request on.
    ///
    /// - Throws: the first target of the policy that no plan of this model could meet; the policy
    ///   in force is then kept.
    public mutating func setPolicy(_ policy: SLOPolicy) throws(InvalidTarget) {
        if let invalid = policy.firstInvalidTarget(bestAccuracy: profile.bestAccuracy) { throw invalid }
        self.policy = policy
    }

    /// Feeds a start-up warm-up measurement to the latency model (`LatencyModel.calibrate`).
    @discardableResult
    public mutating func calibrate(plan: Int, batch: Int, measuredNanos: UInt64) -> Bool {
        guard latency.calibrate(plan: plan, batch: batch, measuredNanos: measuredNanos) else { return false }
        costs.refresh(plan: plan, from: latency)
        return true
    }

    /// Feeds a measured execution time to the latency model's online correction.
    mutating func recordExecution(plan: Int, batch: Int, measuredNanos: UInt64) {
        guard latency.record(plan: plan, batch: batch, measuredNanos: measuredNanos) else { return }
        costs.refresh(plan: plan, from: latency)
    }

    /// Takes in how long an answered request spent in the server outside the queue and the
    /// executor, from its arrival until its last byte left at `now`. Requests are planned to
    /// finish that much before their deadline (at least the configured headroom, at most half the
    /// target: `ControllerConfiguration.planningDeadline`): when the frontend shares the workers'
    /// core under a flood, the time around the compute grows to milliseconds.
    public mutating func recordOverhead(nanos: UInt64, now: Instant) {
        overhead.record(nanos, now: now.nanoseconds)
    }

    /// The 99.8th percentile of `recordOverhead`'s times over the two seconds before `now`, in ns
    /// (0 without any).
    public mutating func overheadNanos(at now: Instant) -> UInt64 {
        overhead.value(at: now.nanoseconds)
    }

    /// Takes in the process's CPU times (`WorkerCapacity.record`), for the arrival rule.
    public mutating func recordCPU(_ sample: WorkerCapacity.Sample) {
        capacity.record(sample)
    }

    /// Removes a queued request whose client has gone away; `false` if it is not queued.
    @discardableResult
    public mutating func cancel(_ id: RequestID) -> Bool {
        queue.remove(id) != nil
    }
}
