import Logging
import NIOPosix
import Synchronization
public import ZenithControl
import ZenithCore
import ZenithExecutor

/// Runs one model's requests: the owner of its `Controller`, its executor workers and its timer.
///
/// The controller is a state machine without I/O; this class carries out its decisions. Every
/// event — a request arriving, a batch finishing, a timer firing — takes the lock once, feeds the
/// controller with the monotonic clock's `now`, asks it `nextAction` until it says to wait, and
/// then, outside the lock, hands batches to workers, answers expired requests and arms the
/// timer. Whoever brings the event (an event loop, a worker, the timer) does this work, so
/// nothing waits for a scheduling thread.
///
/// A request of several samples is admitted all or none, with one admission forecast, and each of
/// its samples is queued on its own, so the controller's batch sizes, predictions and batching
/// limits count samples; its samples may be served in different batches, even with different
/// plans, and the response reports that.
public final class ModelScheduler: Sendable {
    public let mode: SchedulingMode
    /// Longest predicted run that may take an event loop (see `State.inlineCandidate`).
    static let inlineLimitNanos: UInt64 = 1_000_000
    /// Whether batches handed out on an event loop run there (`perform`).
    let batchesOnEventLoop: Bool
    /// Batches run on an event loop that way so far.
    let batchesRunOnEventLoops = Atomic<Int>(0)
    let model: Model
    let metrics: ModelMetrics
    let statistics: ModelStatistics
    private let clock: MonotonicClock
    private let state: Locked<State>
    private let workers: Locked<[ExecutorWorker]>
    private let timer: Locked<WakeupTimer?>
    /// Wake-ups asked for on an event loop when batches run there (`LoopWakeup`).
    private let loopWakeup = LoopWakeup()
    private let idleCPU: IdleCPUTime
    /// When the process's CPU times were last read for the controller (`cpuSample`), in the clock's nanoseconds.
    private let lastCPUSample = Atomic<UInt64>(0)
    private let logger: Logger

    /// An admitted sample not yet answered.
    fileprivate struct Slot {
        var pending: PendingInference
        var sample: Int
        /// Ids of the request's samples (consecutive).
        var siblings: Range<UInt64>
        /// The deadline `slo_met` is judged against (the real target, also in dense-only mode).
        var deadline: Instant
        var bestEffort: Bool
    }

    fileprivate struct State {
        var controller: Controller
        /// In dense-only mode, the policy targets are resolved and reported with; the controller
        /// itself then runs without targets.
        var reportingPolicy: SLOPolicy
        var slots: [RequestID: Slot] = [:]
        var nextID: UInt64 = 1
        var accepting = true
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// What to do once the lock is released.
    fileprivate enum Effect {
        case run(WorkerJob)
        case fail(PendingInference, InferenceFailure)
        case wake(Instant)
    }

    /// Starts the workers and the timer.
    ///
    /// - Parameters:
    ///   - model: the loaded model.
    ///   - controller: its controller, calibrated; `configuration.workers` threads are started.
    ///   - mode: the controller or a fixed plan.
    ///   - modelPlans: the model's index of each of the controller's plans (a fixed-plan mode
    ///     gives the controller one plan, which need not be the model's first).
    ///   - bestAccuracy: the expected accuracy of the model's most accurate plan.
    ///   - metrics: where to emit.
    ///   - idleCPU: the idle pollers' CPU time, which does not compete with the workers.
    ///   - batchesOnEventLoop: run short batches on the event loop that hands them out, after the
    ///     loop's pending I/O, instead of waking the worker's thread: for a process with one core,
    ///     where the loop and the worker take turns on it anyway.
    ///   - logger: for errors.
    init(
        model: Model, controller: Controller, mode: SchedulingMode, modelPlans: [Int], bestAccuracy: Double,
        metrics: ModelMetrics, statistics: ModelStatistics, idleCPU: IdleCPUTime = IdleCPUTime(),
        batchesOnEventLoop: Bool = false, logger: Logger
    ) {
        self.model = model
        self.batchesOnEventLoop = batchesOnEventLoop
        self.mode = mode
        self.bestAccuracy = bestAccuracy
        self.metrics = metrics
        self.statistics = statistics
        self.clock = MonotonicClock()
        self.idleCPU = idleCPU
        self.logger = logger
        self.state = Locked(
            State(
                controller: controller,
                reportingPolicy: controller.policy))
        self.workers = Locked([])
        self.timer = Locked(nil)
        let name = model.name
        let workers = (0..<controller.configuration.workers).map { index in
            ExecutorWorker(
                model: model, plans: modelPlans, name: "w\(index)-\(name)"
            ) { [weak self] job, result in
                self?.finished(job, result: result)
            }
        }
        self.workers.withLock { $0 = workers }
        let timer = WakeupTimer(clock: clock, name: "t-\(name)") { [weak self] in self?.drive() }
        self.timer.withLock { $0 = timer }
    }

    /// Serves `request`: admits its samples, waits for them to be run, and returns the outputs or
    /// why there are none.
    ///
    /// Cancelling the calling task (its client left) withdraws the samples still queued, so no
    /// compute is spent on them, and answers `.cancelled` at once; samples already in a running
    /// batch finish with it and their outputs are dropped.
    /// - Parameter arrival: when the request arrived; its deadline counts from here.
    public func infer(_ request: InferenceRequest, arrival: Instant) async -> Result<InferenceResult, InferenceFailure>
    {
        let box = PendingBox()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let pending = PendingInference(
                    request: request, elementsPerSample: model.inputElementCount, classes: model.classCount,
                    continuation: continuation)
                box.pending.withLock { $0 = pending }
                submit(pending, requested: request.slo, arrival: arrival)
            }
        } onCancel: {
            box.pending.withLock { $0 }.map(withdraw)
        }
    }

    /// Reports how long an answered request spent outside the queue and the executor, until its
    /// last byte left (`Controller.recordOverhead`).
    public func recordOverhead(nanos: UInt64, at sent: Instant) {
        state.withLock { $0.controller.recordOverhead(nanos: nanos, now: sent) }
    }

    /// The request's `PendingInference`, for the cancellation handler, which may run before it exists.
    private final class PendingBox: Sendable {
        let pending = Locked<PendingInference?>(nil)
    }

    /// The client of `pending` left: takes its queued samples out and answers it.
    private func withdraw(_ pending: PendingInference) {
        guard let ids = pending.markCancelled() else {
            // Not admitted yet: admission sees the mark. Or answered already: nothing to do.
            return
        }
        let now = clock.now()
        let step = state.withLock { state -> Step in
            state.withdraw(ids)
            return state.step(effects: state.collectActions(now: now))
        }
        pending.fail(.cancelled)
        perform(step)
    }

    private func submit(_ pending: PendingInference, requested: RequestedSLO, arrival: Instant) {
        let now = clock.now()
        let step = state.withLock { state -> Step in
            if let failure = state.admit(
                pending, requested: requested, arrival: arrival, now: now, mode: mode, bestAccuracy: bestAccuracy) {
                return state.step(effects: [.fail(pending, failure)])
            }
            var step = state.step(effects: state.collectActions(now: now))
            step.inline = state.inlineCandidate(step.effects)
            return step
        }
        perform(step)
    }

    /// Asks the controller what to do now and does it (after a timer, or any change).
    func drive() {
        let now = clock.now()
        perform(state.withLock { $0.step(effects: $0.collectActions(now: now)) })
    }

    /// A worker finished `job`: frees its worker, answers the samples, and schedules what is next.
    private func finished(_ job: WorkerJob, result: Result<(ExecutionReport, [Float]), ExecutorError>) {
        let now = clock.now()
        let cpu = cpuSample(now: now)
        let step = state.withLock { state -> Step in
            if let cpu { state.controller.recordCPU(cpu) }
            switch result {
            case .success(let (report, _)):
                state.controller.completed(job.batch.id, measuredNanos: report.computeNanoseconds, now: now)
            case .failure:
                state.controller.failed(job.batch.id)
            }
            for member in job.batch.members { state.slots[member.id] = nil }
            return state.step(effects: state.collectActions(now: now))
        }
        // Answer the samples first; this worker takes its next batch only once this returns anyway.
        defer { perform(step) }

        switch result {
        case .success(let (report, output)):
            let plan = job.batch.plan
            let classes = model.classCount
            for (index, member) in job.members.enumerated() {
                let exited = report.exited[index]
                member.pending.succeed(
                    sample: member.sample, logits: output[(index * classes)..<((index + 1) * classes)],
                    report: SampleReport(
                        plan: plan.name, expectedAccuracy: plan.expectedAccuracy, exited: exited,
                        queueNanos: member.queueNanos, computeNanos: report.computeNanoseconds,
                        batchSize: job.members.count, batch: job.batch.id.rawValue,
                        sloMet: now <= member.deadline, bestEffort: member.bestEffort))
            }
            metrics.executed(
                plan: plan.index, samples: job.members.count, exits: report.exitCount,
                computeNanos: report.computeNanoseconds)
            statistics.executed(
                plan: plan.index, samples: job.members.count, exits: report.exitCount,
                computeNanos: report.computeNanoseconds)
        case .failure(let error):
            logger.error(
                "executor failed",
                metadata: ["model": "\(model.name)", "plan": "\(job.batch.plan.name)", "error": "\(error)"])
            for member in job.members { member.pending.fail(.executorFailed(error.description)) }
        }
    }

    /// The process's CPU times for the controller's `WorkerCapacity`, read at most every 20 ms
    /// (two system calls, a sum over the workers and a file per thread; under load batches end
    /// far more often).
    private func cpuSample(now: Instant) -> WorkerCapacity.Sample? {
        let last = lastCPUSample.load(ordering: .relaxed)
        guard now.nanoseconds >= last &+ 20_000_000,
            lastCPUSample.compareExchange(expected: last, desired: now.nanoseconds, ordering: .relaxed).exchanged
        else { return nil }
        let workerNanos = workers.withLock { workers in workers.reduce(0) { $0 &+ $1.cpuNanoseconds } }
        let scheduler = SchedulerWait.read(excluding: idleCPU.threadIDs)
        return WorkerCapacity.Sample(
            at: now, processNanos: CPUTime.process, workerNanos: workerNanos, idleNanos: idleCPU.total,
            runningNanos: scheduler?.runningNanos ?? 0, waitingNanos: scheduler?.waitingNanos ?? 0)
    }

    /// What one turn of the lock decided, to carry out after releasing it.
    fileprivate struct Step {
        var effects: [Effect]
        var inflight: Int
        var queued: Int
        /// Drain waiters to wake: the model is unloading and nothing is left in flight.
        var drained: [CheckedContinuation<Void, Never>]
        /// A batch to run on this thread rather than hand to its worker.
        var inline: BatchID? = nil
    }

    private func perform(_ step: Step) {
        for effect in step.effects {
            switch effect {
            case .run(let job):
                let worker = workers.withLock { $0[job.batch.worker] }
                if job.batch.id == step.inline {
                    worker.runInline(job)
                } else if batchesOnEventLoop, job.batch.predictedNanos <= Self.inlineLimitNanos,
                    let loop = MultiThreadedEventLoopGroup.currentEventLoop
                {
                    // Queued behind the loop's pending reads, so the requests they bring can still
                    // join the next batch; the answers then go out from this thread with no
                    // hand-off, and the worker's thread is neither woken nor switched to.
                    loop.execute {
                        self.batchesRunOnEventLoops.add(1, ordering: .relaxed)
                        worker.runInline(job)
                    }
                } else {
                    worker.submit(job)
                }
            case .fail(let pending, let failure):
                pending.fail(failure)
            case .wake(let instant):
                if batchesOnEventLoop, let loop = MultiThreadedEventLoopGroup.currentEventLoop {
                    loopWakeup.schedule(instant, on: loop) { [weak self] in self?.drive() }
                } else {
                    let timer = timer.withLock { $0 }
                    timer?.schedule(instant)
                }
            }
        }
        metrics.occupancy(inflight: step.inflight, queued: step.queued)
        for waiter in step.drained { waiter.resume() }
    }

    /// Stops admitting (new requests get 503), lets admitted ones finish, then stops the threads.
    public func drainAndStop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                state.accepting = false
                guard state.slots.isEmpty else {
                    state.drained.append(continuation)
                    return false
                }
                return true
            }
            if resumeNow { continuation.resume() }
        }
        let threads = workers.withLock { workers in
            defer { workers = [] }
            return workers
        }
        for worker in threads { worker.stop() }
        timer.withLock { timer in
            defer { timer = nil }
            return timer
        }?.stop()
    }

    /// What the controller currently knows: policy, queue, and predicted times per plan.
    public var snapshot: SchedulerSnapshot {
        state.withLock { state in
            let controller = state.controller
            let maxBatch = controller.configuration.maxBatchSize
            return SchedulerSnapshot(
                mode: mode, workers: controller.configuration.workers, maxBatchSize: maxBatch,
                maxQueueDelayNanos: controller.configuration.maxQueueDelayNanos,
                policy: mode.isFixedPlan ? state.reportingPolicy : controller.policy,
                queueDepth: controller.queueDepth, inflight: state.slots.count,
                plans: controller.profile.plans.map { plan in
                    SchedulerSnapshot.Plan(
                        name: plan.name, expectedAccuracy: plan.expectedAccuracy,
                        predictedMicrosBatch1: controller.latency.predictedMicros(plan: plan.index, batch: 1),
                        predictedMicrosMaxBatch: controller.latency.predictedMicros(plan: plan.index, batch: maxBatch))
                })
        }
    }

    /// The SLO policy in force: the controller's, or in dense-only mode the one targets are
    /// resolved and reported with.
    public var policy: SLOPolicy {
        state.withLock { mode.isFixedPlan ? $0.reportingPolicy : $0.controller.policy }
    }

    /// The expected accuracy of the model's most accurate plan, served or not (a fixed-plan mode
    /// serves one): no accuracy target may exceed it.
    public let bestAccuracy: Double

    /// Samples queued and samples admitted but not yet answered, read together.
    public var occupancy: (queued: Int, inflight: Int) {
        state.withLock { ($0.controller.queueDepth, $0.slots.count) }
    }

    /// The load as the controller reads it: samples arriving per second, and the cores its
    /// workers have once the rest of the process has taken its share.
    public var load: (samplesPerSecond: Double, workerCores: Double) {
        let now = clock.now()
        return state.withLock { ($0.controller.arrivalsPerSecond(at: now), $0.controller.capacity.workerCores) }
    }

    /// What the controller keeps in hand for what it does not schedule: a recent high percentile
    /// of the time requests spend around the compute, and of batches' measured / predicted time
    /// (`Controller.overheadNanos`, `LatencyModel.overrun`).
    public var margins: (overheadNanos: UInt64, overrun: Double) {
        let now = clock.now()
        return state.withLock { ($0.controller.overheadNanos(at: now), $0.controller.latency.overrun) }
    }

    /// Replaces the SLO policy from the next request on (the operator API's entry point).
    /// - Throws: a target of the policy that no plan could meet; the policy in force is kept.
    public func setPolicy(_ policy: SLOPolicy) throws(InvalidTarget) {
        try state.withLock { state throws(InvalidTarget) in
            switch mode {
            case .controller:
                try state.controller.setPolicy(policy)
            case .denseOnly, .staticPlan:
                if let invalid = policy.firstInvalidTarget(bestAccuracy: bestAccuracy) {
                    throw invalid
                }
                state.reportingPolicy = policy
            }
        }
    }
}

extension ModelScheduler.State {
    /// Admits every sample of `pending`, or none: returns why not.
    fileprivate mutating func admit(
        _ pending: PendingInference, requested: RequestedSLO, arrival: Instant, now: Instant, mode: SchedulingMode,
        bestAccuracy: Double
    ) -> InferenceFailure? {
        guard accepting else { return .unavailable }
        let first = nextID
        let ids = first..<(first + UInt64(pending.batchSize))
        nextID += UInt64(pending.batchSize)

        // Resolved once against the arrival, so decoding time counts toward the deadline.
        let policy = mode.isFixedPlan ? reportingPolicy : controller.policy
        let targets: RequestTargets
        switch policy.resolve(requested, arrival: arrival, bestAccuracy: bestAccuracy) {
        case .failure(let invalid): return .invalidTarget(invalid)
        case .success(let resolved): targets = resolved
        }
        // A fixed plan: first come, first served, no deadline, one priority level; dropped unserved
        // only at the request's own Triton `timeout`, as Triton drops late work.
        let queued =
            mode.isFixedPlan
            ? RequestTargets(
                arrival: arrival, deadline: .distantFuture, accuracyTarget: 0,
                priority: controller.policy.defaultPriorityLevel, timeout: targets.timeout, policy: .bestEffort)
            : targets
        // One decision for all the samples (one forecast): they share the request's targets.
        switch controller.submit(ids: ids.map { RequestID($0) }, targets: queued, now: now) {
        case .admitted(_, let bestEffort):
            for (sample, raw) in ids.enumerated() {
                slots[RequestID(raw)] = ModelScheduler.Slot(
                    pending: pending, sample: sample, siblings: ids, deadline: targets.deadline, bestEffort: bestEffort)
            }
            guard pending.admitted(ids: ids, deadline: targets.deadline) else {
                withdraw(ids)
                return .cancelled
            }
            return nil
        case .rejected(let rejection): return .rejected(rejection)
        case .invalid(let invalid): return .invalidTarget(invalid)
        }
    }

    /// Takes the samples `ids` still queued out of the controller; those in a running batch
    /// stay until it finishes.
    fileprivate mutating func withdraw(_ ids: Range<UInt64>) {
        for raw in ids where controller.cancel(RequestID(raw)) {
            slots[RequestID(raw)] = nil
        }
    }

    /// The batch among `effects` to run on the submitting thread (an event loop), if any.
    ///
    /// Only a lone sample arriving at an empty queue while another worker stays idle, with a short
    /// predicted run: at such light load the two thread hand-offs (to the worker, back to the event
    /// loop) cost a sizeable share of the request, and blocking the loop that briefly delays nobody.
    fileprivate func inlineCandidate(_ effects: [ModelScheduler.Effect]) -> BatchID? {
        var runs = 0
        var only: WorkerJob?
        for effect in effects {
            guard case .run(let job) = effect else { continue }
            runs += 1
            only = job
        }
        guard runs == 1, let job = only, job.members.count == 1, controller.queueDepth == 0,
            controller.busyWorkers < controller.configuration.workers,
            job.batch.predictedNanos <= ModelScheduler.inlineLimitNanos
        else { return nil }
        return job.batch.id
    }

    /// Packs `effects` with the occupancy and, when draining is over, the drain waiters.
    fileprivate mutating func step(effects: [ModelScheduler.Effect]) -> ModelScheduler.Step {
        var drainedNow: [CheckedContinuation<Void, Never>] = []
        if !accepting, slots.isEmpty { swap(&drainedNow, &drained) }
        return ModelScheduler.Step(
            effects: effects, inflight: slots.count, queued: controller.queueDepth, drained: drainedNow)
    }

    /// Runs the controller until it waits: batches to start, requests to answer unserved.
    fileprivate mutating func collectActions(now: Instant) -> [ModelScheduler.Effect] {
        var effects: [ModelScheduler.Effect] = []
        while true {
            switch controller.nextAction(now: now) {
            case .run(let batch):
                let members = batch.members.compactMap { member -> WorkerJob.Member? in
                    guard let slot = slots[member.id] else { return nil }
                    return WorkerJob.Member(
                        pending: slot.pending, sample: slot.sample, deadline: slot.deadline,
                        bestEffort: slot.bestEffort || member.bestEffort, queueNanos: member.queueNanos)
                }
                guard !members.isEmpty else {
                    controller.failed(batch.id)
                    continue
                }
                effects.append(.run(WorkerJob(batch: batch, members: members)))
            case .expire(let expired):
                for request in expired {
                    guard let slot = slots.removeValue(forKey: request.id) else { continue }
                    effects.append(.fail(slot.pending, .expired(request.reason)))
                    // The request is answered: its samples still queued need no compute.
                    withdraw(slot.siblings)
                }
            case .wait(let until):
                effects.append(.wake(until))
                return effects
            case .idle:
                return effects
            }
        }
    }
}

/// A view of a model's scheduler, for the config and stats endpoints.
public struct SchedulerSnapshot: Sendable {
    public struct Plan: Sendable {
        public var name: String
        public var expectedAccuracy: Double
        public var predictedMicrosBatch1: Double
        public var predictedMicrosMaxBatch: Double
    }

    public var mode: SchedulingMode
    public var workers: Int
    public var maxBatchSize: Int
    public var maxQueueDelayNanos: UInt64
    public var policy: SLOPolicy
    public var queueDepth: Int
    public var inflight: Int
    public var plans: [Plan]
}
