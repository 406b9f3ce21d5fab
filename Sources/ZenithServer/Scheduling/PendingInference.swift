import ZenithControl

/// One HTTP request in the scheduler: its input, and the per-sample results as they arrive.
///
/// A request of `batchSize` samples enters the controller as that many requests; the answer goes
/// out once every sample is served, or at the first failure (the other samples' results are then
/// dropped).
final class PendingInference: Sendable {
    typealias Outcome = Result<InferenceResult, InferenceFailure>

    /// `batchSize` samples back to back.
    let input: [Float]
    let batchSize: Int
    let elementsPerSample: Int
    let classes: Int
    private let progress: Locked<Progress>

    private struct Progress {
        var logits: [Float]
        var reports: [SampleReport?]
        var remaining: Int
        var continuation: CheckedContinuation<Outcome, Never>?
        /// The ids its samples were queued under, once admitted.
        var ids: Range<UInt64>?
        var deadline = Instant.distantFuture
        /// The client left.
        var cancelled = false
    }

    init(
        request: InferenceRequest, elementsPerSample: Int, classes: Int,
        continuation: CheckedContinuation<Outcome, Never>
    ) {
        input = request.input
        batchSize = request.batchSize
        self.elementsPerSample = elementsPerSample
        self.classes = classes
        progress = Locked(
            Progress(
                logits: [Float](repeating: 0, count: request.batchSize * classes),
                reports: Array(repeating: nil, count: request.batchSize), remaining: request.batchSize,
                continuation: continuation))
    }

    /// The input floats of `sample`.
    func input(of sample: Int) -> ArraySlice<Float> {
        input[(sample * elementsPerSample)..<((sample + 1) * elementsPerSample)]
    }

    /// Records a served sample; answers the request when it was the last one.
    func succeed(sample: Int, logits: ArraySlice<Float>, report: SampleReport) {
        let done: (CheckedContinuation<Outcome, Never>, InferenceResult)? = progress.withLock { state in
            guard state.continuation != nil, state.reports[sample] == nil else { return nil }
            state.logits.replaceSubrange((sample * classes)..<((sample + 1) * classes), with: logits)
            state.reports[sample] = report
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, InferenceResult(logits: state.logits, samples: state.reports.map { $0! }, deadline: state.deadline))
        }
        if let (continuation, result) = done { continuation.resume(returning: .success(result)) }
    }

    /// Records the ids the samples were admitted under and the request's deadline (called under
    /// the scheduler's lock).
    /// - Returns: `false` if the client has already left: the caller withdraws them at once.
    func admitted(ids: Range<UInt64>, deadline: Instant) -> Bool {
        progress.withLock { state in
            state.ids = ids
            state.deadline = deadline
            return !state.cancelled
        }
    }

    /// The client left. Returns the admitted ids to withdraw, or `nil` when there is nothing to
    /// withdraw: not admitted yet (admission then sees the mark) or already answered.
    func markCancelled() -> Range<UInt64>? {
        progress.withLock { state in
            state.cancelled = true
            return state.continuation == nil ? nil : state.ids
        }
    }

    /// Answers the request with `failure`, unless it was already answered.
    /// - Returns: whether this call answered it.
    @discardableResult
    func fail(_ failure: InferenceFailure) -> Bool {
        let continuation = progress.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: .failure(failure))
        return continuation != nil
    }
}
