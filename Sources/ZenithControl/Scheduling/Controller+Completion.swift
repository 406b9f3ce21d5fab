extension Controller {
    /// Reports that a worker finished a batch: frees the worker and feeds the measured execution
    /// time to the latency model's online correction.
    ///
    /// - Parameters:
    ///   - batch: the batch from `.run`.
    ///   - measuredNanos: the executor's compute time; `nil` to use the time since dispatch.
    ///   - now: when it finished.
    /// - Returns: `false` for a batch that is not running (already reported, or unknown).
    @discardableResult
    public mutating func completed(_ batch: BatchID, measuredNanos: UInt64? = nil, now: Instant) -> Bool {
        guard let job = workers.finish(batch) else { return false }
        lastCompletion = now
        recordExecution(
            plan: job.plan, batch: job.size, measuredNanos: measuredNanos ?? now.nanoseconds(since: job.startedAt))
        return true
    }

    /// Reports that a batch failed: frees the worker without teaching the latency model anything.
    @discardableResult
    public mutating func failed(_ batch: BatchID) -> Bool {
        workers.finish(batch) != nil
    }
}
