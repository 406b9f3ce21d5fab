import ZenithControl

/// A batch handed to an executor worker: the controller's batch and where each member's input
/// lives.
struct WorkerJob: Sendable {
    struct Member: Sendable {
        var pending: PendingInference
        /// The sample's index in its request.
        var sample: Int
        /// The deadline the response's `slo_met` is judged against.
        var deadline: Instant
        var bestEffort: Bool
        var queueNanos: UInt64
    }

    var batch: Batch
    /// In the batch's order.
    var members: [Member]
}
