/// Predicted start and finish of a sequence of batches on the workers: each batch starts on the
/// worker that frees first (list scheduling), the way the controller dispatches.
struct BacklogForecast: Sendable {
    /// When each worker is predicted to be free.
    private(set) var freeAt: [Instant]

    init(freeAt: [Instant]) {
        precondition(!freeAt.isEmpty, "a forecast needs at least one worker")
        self.freeAt = freeAt
    }

    /// When the first worker is free.
    var earliestFree: Instant { freeAt.min()! }

    /// Moves every worker's free time `nanos` later: the forecast of the same batches started
    /// that much later.
    mutating func delay(by nanos: UInt64) {
        for worker in freeAt.indices { freeAt[worker] = freeAt[worker].advanced(by: nanos) }
    }

    /// Places a batch that runs `nanos` on the earliest free worker.
    mutating func schedule(nanos: UInt64) -> (start: Instant, finish: Instant) {
        let worker = freeAt.indices.min { freeAt[$0] < freeAt[$1] }!
        let start = freeAt[worker]
        freeAt[worker] = start.advanced(by: nanos)
        return (start, freeAt[worker])
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements, in order.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
