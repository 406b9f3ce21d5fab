public import CoreMetrics
public import Logging
public import ZenithData

/// Where models come from and how each is served.
public struct ModelRepositoryOptions: Sendable {
    /// The model repository: one folder per model, each with a `config.json`.
    public var directory: String
    /// `zenith profile`'s output: `<profiles>/<model>/accuracy.json` and `latency.json`.
    public var profiles: String
    /// Fashion-MNIST, for measuring accuracy when a model has no accuracy profile.
    public var dataset: String
    /// Executor threads per model.
    public var workers: Int
    public var mode: SchedulingMode
    /// Models served with one fixed non-dense plan (model name to plan name), whatever `mode`
    /// says: the static-plan baseline. A model without that plan fails to load.
    public var staticPlans: [String: String]
    /// Samples queued per model at most; more are refused with 503 `queue_full`.
    public var maxQueueDepth: Int
    /// Timed runs per plan and batch size in the start-up warm-up; 0 skips it for plans with a
    /// latency profile (their profiled times are then used as they are).
    public var warmupIterations: Int
    /// Share of each latency target the controller keeps out of its plans (`ControllerConfiguration`).
    public var deadlineHeadroom: Double
    /// Share of the workers' time plans may need at the arrival rate (`ControllerConfiguration`).
    public var maxUtilization: Double
    /// CPU time of the process's idle pollers, left out of what competes with the workers.
    public var idleCPU: IdleCPUTime
    /// Whether short batches run on the event loop that hands them out (`ModelScheduler`);
    /// `nil`: when the process has one core and one worker.
    public var batchesOnEventLoop: Bool?
    public var metricsFactory: any MetricsFactory
    public var logger: Logger

    public init(
        directory: String = "Models", profiles: String = "Profiles", dataset: String = FashionMNIST.defaultDirectory,
        workers: Int = 1, mode: SchedulingMode = .controller, staticPlans: [String: String] = [:], maxQueueDepth: Int = 1024, warmupIterations: Int = 5,
        deadlineHeadroom: Double = 0, maxUtilization: Double = 0.6, idleCPU: IdleCPUTime = IdleCPUTime(),
        batchesOnEventLoop: Bool? = nil, metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger
    ) {
        self.batchesOnEventLoop = batchesOnEventLoop
        self.directory = directory
        self.profiles = profiles
        self.dataset = dataset
        self.workers = max(1, workers)
        self.mode = mode
        self.staticPlans = staticPlans
        self.maxQueueDepth = max(1, maxQueueDepth)
        self.warmupIterations = max(0, warmupIterations)
        self.deadlineHeadroom = deadlineHeadroom
        self.maxUtilization = maxUtilization
        self.idleCPU = idleCPU
        self.metricsFactory = metricsFactory
        self.logger = logger
    }
}
