import Testing
import ZenithControl

@Suite struct WorkerCapacityTests {
    /// Samples every `stepMs` for `forMs`, the rest of the process using `others` cores, the workers
    /// `workers` and the idle pollers `idle`, starting from the cumulative times of `start`.
    private func run(
        _ capacity: inout WorkerCapacity, from start: WorkerCapacity.Sample, forMs: Double, stepMs: Double = 20,
        others: Double, workers: Double, idle: Double
    ) -> WorkerCapacity.Sample {
        var sample = start
        for _ in 0..<Int(forMs / stepMs) {
            let step = nanos(ms: stepMs)
            sample.at = sample.at.advanced(by: step)
            sample.workerNanos += UInt64(Double(step) * workers)
            sample.idleNanos += UInt64(Double(step) * idle)
            sample.processNanos += UInt64(Double(step) * (others + workers + idle))
            capacity.record(sample)
        }
        return sample
    }

    private let start = WorkerCapacity.Sample(at: ms(0), processNanos: 0, workerNanos: 0, idleNanos: 0)

    /// One core, the frontend taking 0.6 of it: the worker has 0.4, from the first samples on
    /// (40 ms, a sixth of the window); the idle poller's time is not competition.
    @Test func theWorkersHaveWhatTheRestOfTheProcessLeaves() {
        var capacity = WorkerCapacity(cores: 1, workers: 1)
        #expect(capacity.workerCores == 1)
        _ = run(&capacity, from: start, forMs: 40, others: 0.6, workers: 0.3, idle: 0.1)
        #expect(abs(capacity.workerCores - 0.4) < 0.01, "\(capacity.workerCores)")
    }

    /// Four cores, one worker: a frontend using two leaves the worker its whole core.
    @Test func aWorkerNeverCountsOnMoreThanItsOwnCore() {
        var capacity = WorkerCapacity(cores: 4, workers: 1)
        _ = run(&capacity, from: start, forMs: 500, others: 2, workers: 1, idle: 0)
        #expect(capacity.workerCores == 1)
        var shared = WorkerCapacity(cores: 2, workers: 2)
        _ = run(&shared, from: start, forMs: 500, others: 1.5, workers: 0.5, idle: 0)
        #expect(abs(shared.workerCores - 0.5) < 0.01)
    }

    /// The estimate follows a change within a few windows, and a saturated machine still leaves the
    /// workers a floor rather than nothing.
    @Test func followsTheRestOfTheProcessAndKeepsAFloor() {
        var capacity = WorkerCapacity(cores: 1, workers: 1)
        var sample = run(&capacity, from: start, forMs: 1_000, others: 0.2, workers: 0.5, idle: 0.3)
        #expect(abs(capacity.workerCores - 0.8) < 0.01)
        sample = run(&capacity, from: sample, forMs: 1_500, others: 0.7, workers: 0.3, idle: 0)
        #expect(abs(capacity.workerCores - 0.3) < 0.02, "\(capacity.workerCores)")
        _ = run(&capacity, from: sample, forMs: 2_000, others: 1.5, workers: 0, idle: 0)
        #expect(capacity.workerCores == 0.05)
    }

    /// Two workers on two cores, the frontend using half a core: a batch under way when the times
    /// are read is in the process's time before it is in the workers', one sample late. The lag
    /// evens out instead of reading as frontend work.
    @Test func aBatchCountedLateByTheWorkersEvensOut() {
        var capacity = WorkerCapacity(cores: 2, workers: 2)
        var sample = start
        for step in 1...100 {
            sample.at = ms(Double(step) * 20)
            sample.processNanos += nanos(ms: 20 * 1.5)
            // The workers' 20 ms arrive in bursts of 40 every other sample.
            if step % 2 == 0 { sample.workerNanos += nanos(ms: 40) }
            capacity.record(sample)
        }
        #expect(abs(capacity.otherCores - 0.5) < 0.1, "\(capacity.otherCores)")
    }

    /// Without a core count the workers are taken to have theirs to themselves.
    @Test func withoutACoreCountTheWorkersHaveOneCoreEach() {
        var capacity = WorkerCapacity(cores: nil, workers: 3)
        _ = run(&capacity, from: start, forMs: 500, others: 2, workers: 1, idle: 0)
        #expect(capacity.workerCores == 3)
    }
}
