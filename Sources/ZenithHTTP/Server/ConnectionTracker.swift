/// Counts open connections, caps them, and drives graceful shutdown.
///
/// Generic over the connection's key so tests need no channels. The caller carries out the
/// returned actions on the server channel's event loop.
struct ConnectionTracker<Key: Hashable> {
    enum AcceptAction: Equatable {
        case accept
        /// Over the limit, or the server is shutting down: close it at once.
        case reject
    }

    enum ShutdownAction: Equatable {
        /// Tell these connections to finish in-flight requests and close.
        case quiesce([Key])
        /// Nothing is open: shutdown is complete.
        case completed
        /// Shutdown had already begun.
        case none
    }

    enum CloseAction: Equatable {
        case none
        /// The last connection closed during shutdown.
        case shutdownCompleted
    }

    private enum State {
        case running
        case shuttingDown
        case completed
    }

    let maxConnections: Int
    private var open: Set<Key> = []
    private var state: State = .running

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    var openCount: Int { self.open.count }
    var isShuttingDown: Bool { self.state != .running }

    mutating func accepted(_ key: Key) -> AcceptAction {
        switch self.state {
        case .running:
            guard self.open.count < self.maxConnections else { return .reject }
            self.open.insert(key)
            return .accept
        case .shuttingDown, .completed:
            return .reject
        }
    }

    mutating func closed(_ key: Key) -> CloseAction {
        guard self.open.remove(key) != nil else { return .none }
        if self.state == .shuttingDown && self.open.isEmpty {
            self.state = .completed
            return .shutdownCompleted
        }
        return .none
    }

    mutating func beginShutdown() -> ShutdownAction {
        switch self.state {
        case .running:
            if self.open.isEmpty {
                self.state = .completed
                return .completed
            }
            self.state = .shuttingDown
            return .quiesce(Array(self.open))
        case .shuttingDown, .completed:
            return .none
        }
    }
}
