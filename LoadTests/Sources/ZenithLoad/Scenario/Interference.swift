/// A CPU-bound neighbour started and stopped during a run (`zenith-load burn`, a busy loop), to show what
/// co-located load does to the server's latency and what the controller does about it.
public struct Interference: Sendable, Equatable {
    /// When the neighbour starts, seconds from the start of the run.
    public var fromSeconds: Double
    /// When it stops.
    public var untilSeconds: Double
    /// Busy processes it runs (each one wants a whole core).
    public var workers: Int

    /// Creates an interval of interference.
    public init(fromSeconds: Double, untilSeconds: Double, workers: Int = 1) {
        self.fromSeconds = fromSeconds
        self.untilSeconds = untilSeconds
        self.workers = workers
    }

    /// Whether it is running at `seconds` from the start.
    public func covers(_ seconds: Double) -> Bool { seconds >= fromSeconds && seconds < untilSeconds }
}
