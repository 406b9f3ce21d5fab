import Foundation

/// The cores a model's workers really have: the process's cores less what the rest of the process
/// (event loops decoding and answering requests, timers, other models' workers) is using, and at
/// most one per worker.
///
/// The arrival rule (see `PlanSelector`) lets plans use a share of this capacity. Counting workers
/// alone is right when they have cores to themselves; when they share them with the frontend, as
/// on a one-core server at thousands of requests a second, the frontend's share is not the
/// workers' to spend, and plans chosen as if it were leave the core saturated and requests late.
///
/// Fed with cumulative CPU times (`record`); the rest's use is a moving average over `windowNanos`.
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

        public init(at: Instant, processNanos: UInt64, workerNanos: UInt64, idleNanos: UInt64) {
            self.at = at
            self.processNanos = processNanos
            self.workerNanos = workerNanos
            self.idleNanos = idleNanos
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

    /// Cores the workers may count on now: never below a twentieth of a worker, so that a moment
    /// of heavy frontend use reads as a slow machine, not as none.
    public var workerCores: Double {
        guard let cores else { return Double(workers) }
        return min(Double(workers), max(cores - otherCores, 0.05 * Double(workers)))
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
        self.last = sample
    }
}
