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

    /// The plans' budget at a utilisation limit of 0.6. A worker with a spare core: 0.6 of the
    /// cores the rest of the process leaves it. A worker sharing its one core with a frontend: 0.6
    /// of what the frontend leaves, while the core as a whole stays within 0.9; down to a floor
    /// once the frontend fills it.
    @Test func theFrontendsShareOfASharedCoreCountsAgainstThePlans() {
        var spare = WorkerCapacity(cores: 4, workers: 1)
        _ = run(&spare, from: start, forMs: 1_000, others: 2, workers: 0.5, idle: 0)
        #expect(abs(spare.planCores(maxUtilization: 0.6) - 0.6) < 0.01)

        var shared = WorkerCapacity(cores: 1, workers: 1)
        var sample = run(&shared, from: start, forMs: 1_000, others: 0.2, workers: 0.3, idle: 0.5)
        #expect(abs(shared.planCores(maxUtilization: 0.6) - 0.48) < 0.01, "\(shared.planCores(maxUtilization: 0.6))")
        // 0.6 of the 0.2 left would be 0.12; the core as a whole allows 0.1.
        sample = run(&shared, from: sample, forMs: 2_000, others: 0.8, workers: 0.1, idle: 0.1)
        #expect(abs(shared.planCores(maxUtilization: 0.6) - 0.1) < 0.01, "\(shared.planCores(maxUtilization: 0.6))")
        // A limit above 0.9 is the whole core's too.
        #expect(abs(shared.planCores(maxUtilization: 1) - 0.2) < 0.01, "\(shared.planCores(maxUtilization: 1))")
        sample = run(&shared, from: sample, forMs: 2_000, others: 0.88, workers: 0.06, idle: 0.06)
        #expect(shared.workerCores > 0.1)
        #expect(abs(shared.planCores(maxUtilization: 0.6) - 0.03) < 0.001, "\(shared.planCores(maxUtilization: 0.6))")
        _ = run(&shared, from: sample, forMs: 2_000, others: 0, workers: 0.5, idle: 0.5)
        #expect(abs(shared.planCores(maxUtilization: 0.6) - 0.6) < 0.01)
    }

    /// A CPU-bound neighbour on the server's one core: the process's threads wait for it as long
    /// as they run, the share reads a half, and the workers and the plans have half as much; when
    /// it leaves, they have the whole core again. Without scheduler statistics the share stays 1.
    @Test func aNeighbourTakesItsShareOfTheCore() {
        var capacity = WorkerCapacity(cores: 1, workers: 1)
        var sample = start
        func advance(forMs: Double, others: Double, workers: Double, waiting: Double) {
            for _ in 0..<Int(forMs / 20) {
                let step = nanos(ms: 20)
                sample.at = sample.at.advanced(by: step)
                sample.workerNanos += UInt64(Double(step) * workers)
                sample.processNanos += UInt64(Double(step) * (others + workers))
                sample.runningNanos += UInt64(Double(step) * (others + workers))
                sample.waitingNanos += UInt64(Double(step) * waiting)
                capacity.record(sample)
            }
        }
        advance(forMs: 1_000, others: 0.1, workers: 0.4, waiting: 0)
        #expect(capacity.share == 1)
        #expect(abs(capacity.workerCores - 0.9) < 0.01, "\(capacity.workerCores)")
        advance(forMs: 2_000, others: 0.1, workers: 0.4, waiting: 0.5)
        #expect(abs(capacity.share - 0.5) < 0.01, "\(capacity.share)")
        #expect(abs(capacity.workerCores - 0.4) < 0.01, "\(capacity.workerCores)")
        #expect(abs(capacity.planCores(maxUtilization: 0.6) - 0.24) < 0.01)
        advance(forMs: 2_000, others: 0.1, workers: 0.4, waiting: 0)
        #expect(capacity.share > 0.99)
        // A thread that ran 2 s and waited 0.5 s ends: the sums fall, the share does not move.
        sample.runningNanos -= nanos(ms: 2_000)
        sample.waitingNanos -= nanos(ms: 500)
        advance(forMs: 500, others: 0.1, workers: 0.4, waiting: 0)
        #expect(capacity.share > 0.99, "\(capacity.share)")

        var unknown = WorkerCapacity(cores: 1, workers: 1)
        _ = run(&unknown, from: start, forMs: 1_000, others: 0.5, workers: 0.5, idle: 0)
        #expect(unknown.share == 1)
    }
}
