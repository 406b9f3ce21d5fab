/// Which executor workers are busy, with what, and until when (predicted).
struct WorkerPool: Sendable {
    struct Job: Sendable, Equatable {
        var batch: BatchID
        var plan: Int
        var size: Int
        var startedAt: Instant
        var predictedEnd: Instant
    }

    /// One slot per worker; `nil` when idle.
    private(set) var jobs: [Job?]

    init(count: Int) {
        jobs = Array(repeating: nil, count: count)
    }

    var firstFree: Int? { jobs.firstIndex { $0 == nil } }
    var busyCount: Int { jobs.count { $0 != nil } }
    var freeCount: Int { jobs.count - busyCount }

    /// The earliest predicted end of a running batch.
    var nextPredictedEnd: Instant? { jobs.compactMap { $0?.predictedEnd }.min() }

    mutating func start(_ job: Job, on worker: Int) {
        precondition(jobs[worker] == nil, "worker \(worker) is busy")
        jobs[worker] = job
    }

    /// Frees the worker running `batch` and returns its job; `nil` for an unknown batch.
    mutating func finish(_ batch: BatchID) -> Job? {
        guard let worker = jobs.firstIndex(where: { $0?.batch == batch }) else { return nil }
        defer { jobs[worker] = nil }
        return jobs[worker]
    }

    /// When each worker is predicted to be free, seen from `now`; a batch running past its
    /// prediction is taken to end now. `excluding` leaves one worker out.
    func freeAt(now: Instant, excluding excluded: Int? = nil) -> [Instant] {
        jobs.indices.filter { $0 != excluded }.map { jobs[$0].map { max($0.predictedEnd, now) } ?? now }
    }
}
