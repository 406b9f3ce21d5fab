import Dispatch
import Foundation
import Synchronization
import ZenithExecutor

/// One executor thread: owns an `Executor` (not thread-safe, so never shared) and runs the jobs
/// handed to it, one at a time, off the event loops.
///
/// The batch's member inputs are copied into one contiguous buffer, reused from batch to batch,
/// and the outputs come back sample-major for the scheduler to split.
///
/// A job may also run on the caller's thread (`runInline`): the controller hands a worker one
/// batch at a time, so the executor is free then, and the lock around it is uncontended.
final class ExecutorWorker: Sendable {
    typealias Completion = @Sendable (WorkerJob, Result<(ExecutionReport, [Float]), ExecutorError>) -> Void

    /// The executor and its reused buffers; locked by whichever thread runs a job.
    private struct Engine: ~Copyable {
        let executor: Executor
        /// The model's plan index of each of the controller's plans.
        let plans: [Int]
        var input: [Float] = []
        var output: [Float] = []

        mutating func run(_ job: WorkerJob) -> Result<(ExecutionReport, [Float]), ExecutorError> {
            input.removeAll(keepingCapacity: true)
            for member in job.members { input.append(contentsOf: member.pending.input(of: member.sample)) }
            do throws(ExecutorError) {
                let report = try executor.run(
                    plan: plans[job.batch.plan.index], input: input, batch: job.members.count, output: &output)
                return .success((report, output))
            } catch {
                return .failure(error)
            }
        }
    }

    private let engine: Locked<Engine>
    private let completion: Completion
    private let queue = Locked<(jobs: [WorkerJob], stopping: Bool)>(([], false))
    private let cpu = Atomic<UInt64>(0)
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the thread.
    /// - Parameters:
    ///   - model: the model to run; the executor is sized for its `max_batch_size`.
    ///   - plans: the model's plan index of each of the controller's plans, by the controller's index.
    ///   - name: the thread's name, for debuggers and `top -H`.
    ///   - completion: called after each job, on the thread that ran it.
    init(model: Model, plans: [Int], name: String, completion: @escaping Completion) {
        // Sized for the largest batch the controller forms.
        engine = Locked(
            Engine(
                executor: Executor(
                    model: model, maxBatch: max(model.config.maxBatchSize, model.config.batching.maxBatchSize)),
                plans: plans))
        self.completion = completion
        // The thread holds the worker until `stop()` ends its loop.
        let thread = Thread { [self] in
            ThreadName.set(name)
            self.serve()
            self.stopped.signal()
        }
        thread.start()
    }

    private func serve() {
        while true {
            wakeup.wait()
            let job: WorkerJob? = queue.withLock { state in
                state.jobs.isEmpty ? nil : state.jobs.removeFirst()
            }
            guard let job else { return }
            runInline(job)
        }
    }

    /// Runs `job` on the calling thread and reports it to the completion handler.
    func runInline(_ job: WorkerJob) {
        let start = CPUTime.thread
        let result = engine.withLock { $0.run(job) }
        cpu.add(CPUTime.thread &- start, ordering: .relaxed)
        completion(job, result)
    }

    /// CPU time spent executing batches, on whichever thread ran them.
    var cpuNanoseconds: UInt64 { cpu.load(ordering: .relaxed) }

    /// Queues a job; the controller gives a worker a batch only when it is idle, so the queue is
    /// at most one deep.
    func submit(_ job: WorkerJob) {
        queue.withLock { $0.jobs.append(job) }
        wakeup.signal()
    }

    /// Lets the thread finish its queued jobs, then end; returns once it has.
    func stop() {
        let first = queue.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        // An empty queue at a wake-up ends the loop; this wake-up comes after every job's.
        wakeup.signal()
        stopped.wait()
    }
}
