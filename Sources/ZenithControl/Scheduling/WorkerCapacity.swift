import Foundation

/// The cores a model's workers really have: the process's cores less what other processes take
/// (`share`) and what the rest of the process (event loops decoding and answering requests,
/// timers, other models' workers) is using, and at most one per worker.
///
/// The arrival rule (see `PlanSelector`) lets plans use a share of this capacity. Counting workers
/// alone is right when they have cores to themselves; when they share them with the frontend, as
/// on a one-core server at thousands of requests a second, the frontend's share is not the
/// workers' to spend, and plans chosen as if it were leave the core saturated and requests late.
///
/// Fed with cumulative CPU times (`record`); the rest's use and the share are moving averages over
/// `windowNanos`.
public struct WorkerCapacity: Sendable {
    /// Cumulative CPU times of the process, read together at `at`.
    public struct Sample: Sendable, Equatable {
        public var at: Instant
        /// CPU time of the whole process.
        public var processNanos: UInt64
        /// CPU time the model's workers spent executing batches.
        public var workerNanos: UInt64
        /// CPU time of threads that only run when the cores would otherwise idle (idle pollers).
        public var idleNanos: UInt64
        /// Time the process's threads (idle pollers aside) ran on a core, and waited runnable
        /// for one, by the kernel's scheduler statistics; both 0 where it keeps none.
        public var runningNanos: UInt64
        public var waitingNanos: UInt64

        public init(
            at: Instant, processNanos: UInt64, workerNanos: UInt64, idleNanos: UInt64, runningNanos: UInt64 = 0,
            waitingNanos: UInt64 = 0
        ) {
            self.at = at
            self.processNanos = processNanos
            self.workerNanos = workerNanos
            self.idleNanos = idleNanos
            self.runningNanos = runningNanos
            self.waitingNanos = waitingNanos
        }
    }

    /// Cores the process may use; `nil`: the workers have theirs to themselves.
    public let cores: Double?
    public let workers: Int
    let windowNanos: Double
    private var last: Sample?
    /// The moving average, started at 0, and the share of its weight accumulated so far: their
    /// quotient is the average without the start's bias (as `ArrivalRate` corrects its count).
    private var average = 0.0
    private var accumulated = 0.0
    /// Moving averages, as `average`, of the threads' running and waiting time per elapsed time.
    private var running = 0.0
    private var waiting = 0.0

    /// - Parameters:
    ///   - cores: cores the process may use; `nil`: the workers have theirs to themselves.
    ///   - workers: the model's executor workers.
    public init(cores: Double?, workers: Int, windowNanos: UInt64 = 250_000_000) {
        self.workers = max(workers, 1)
        self.cores = cores.flatMap { $0.isFinite ? max($0, 0.05) : nil }
        self.windowNanos = Double(max(windowNanos, 1))
    }

    /// Cores the rest of the process uses, recently; 0 before two samples.
    public var otherCores: Double { accumulated > 0 ? max(average / accumulated, 0) : 0 }

    /// The share of the time its threads wanted a core that the process got, recently: 1 on a
    /// machine of its own, 0.5 when a CPU-bound neighbour on its one core takes turns with it.
    ///
    /// Other processes take cores from the whole process, frontend and workers alike, without
    /// changing how the process splits what it gets; only the time its threads spent runnable
    /// but waiting shows them. (The process's own threads queueing for one core count too: that
    /// core is as full either way.)
    public var share: Double {
        guard running + waiting > 0.01 else { return 1 }
        return min(max(running / (running + waiting), 0.05), 1)
    }

    /// Cores the process gets: the cores it may use, less the share others take.
    public var processCores: Double? { cores.map { $0 * share } }

    /// Cores the workers may count on now: never below a twentieth of a worker, so that a moment
    /// of heavy frontend use reads as a slow machine, not as none.
    public var workerCores: Double {
        guard let processCores else { return Double(workers) }
        return min(Double(workers), max(processCores - otherCores, 0.05 * Double(workers)))
    }

    /// The busiest a core shared by the workers and the frontend may be planned to be, whole: the
    /// frontend cannot see requests waiting in socket buffers, and near saturation they wait
    /// there, out of admission's sight.
    static let sharedCoreLimit = 0.9

    /// Cores the plans may need at the arrival rate (the arrival rule's budget): `maxUtilization`
    /// of the workers' cores, the margin for a rise in load the rate estimate has not followed
    /// yet.
    ///
    /// When the workers may need every core (as many workers as cores or more), they take turns
    /// with the frontend, and the cores as a whole must also stay below `sharedCoreLimit` (or
    /// `maxUtilization`, if higher), frontend included: a core the frontend nearly fills leaves
    /// the budget at its floor, so the arrival rule keeps only the cheapest plan. Spending the
    /// rest of such a core on a dearer plan keeps it saturated. Applying `maxUtilization` itself
    /// to the whole core instead is too cautious where the frontend's share is large but not
    /// saturating (thousands of small requests a second): it leaves the cheapest plan where a
    /// dearer one keeps up.
    public func planCores(maxUtilization: Double) -> Double {
        let own = workerCores * maxUtilization
        guard let cores, let processCores, Double(workers) >= cores else { return own }
        let floor = 0.05 * Double(workers) * maxUtilization
        let whole = processCores * max(maxUtilization, Self.sharedCoreLimit) - otherCores
        return min(own, max(whole, floor))
    }

    /// Takes in cumulative CPU times; samples taken closer together than a millisecond to the
    /// last one counted, or out of order, are ignored.
    public mutating func record(_ sample: Sample) {
        guard let cores else { return }
        guard let last else {
            self.last = sample
            return
        }
        guard sample.at > last.at, sample.at.nanoseconds(since: last.at) >= 1_000_000 else { return }
        let elapsed = Double(sample.at.nanoseconds(since: last.at))
        let process = Double(sample.processNanos &- last.processNanos)
        let excluded = Double(sample.workerNanos &- last.workerNanos) + Double(sample.idleNanos &- last.idleNanos)
        // May be negative: another worker's batch under way at the last sample was in the process
        // time then and enters the workers' only now. Averaged, not clipped, that evens out.
        let used = (process - excluded) / elapsed
        // Weighted by the time the sample spans, as the arrival rate's decay is.
        let weight = -expm1(-elapsed / windowNanos)
        average += weight * (min(used, cores) - average)
        accumulated += weight * (1 - accumulated)
        // Both read 0 where the kernel keeps no statistics, and the share stays 1. A thread that
        // ended takes its times out of the sums: that step tells nothing of the share.
        if sample.runningNanos >= last.runningNanos, sample.waitingNanos >= last.waitingNanos {
            running += weight * (Double(sample.runningNanos - last.runningNanos) / elapsed - running)
            waiting += weight * (Double(sample.waitingNanos - last.waitingNanos) / elapsed - waiting)
        }
        self.last = sample
    }
}
