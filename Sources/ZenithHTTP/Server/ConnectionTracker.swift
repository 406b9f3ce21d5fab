/// Counts open connections, caps them in all and per client address, and drives graceful
/// shutdown.
///
/// At the overall limit a new connection is not simply refused, or a few clients holding idle
/// or dripping connections would lock everyone else out: it displaces the oldest connection of
/// the client holding the most, provided that client would still hold more than the newcomer's.
/// Generic over the connection's key so tests need no channels. The caller carries out the
/// returned actions on the server channel's event loop.
struct ConnectionTracker<Key: Hashable> {
    enum AcceptAction: Equatable {
        case accept
        /// Accept it, and close this connection of the heaviest client to make room.
        case acceptEvicting(Key)
        /// Over a limit with nothing fair to displace, or the server is shutting down: close it at once.
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
    let maxPerClient: Int
    private var open: Set<Key> = []
    /// Each client's connections, oldest first.
    private var byClient: [String: [Key]] = [:]
    private var clientOf: [Key: String] = [:]
    private var state: State = .running

    init(maxConnections: Int, maxPerClient: Int? = nil) {
        self.maxConnections = maxConnections
        self.maxPerClient = maxPerClient ?? maxConnections
    }

    var openCount: Int { self.open.count }
    var isShuttingDown: Bool { self.state != .running }

    /// A connection from `client` (its address) was accepted by the kernel.
    mutating func accepted(_ key: Key, client: String = "") -> AcceptAction {
        guard self.state == .running else { return .reject }
        let mine = self.byClient[client]?.count ?? 0
        guard mine < self.maxPerClient else { return .reject }
        guard self.open.count >= self.maxConnections else {
            self.add(key, client: client)
            return .accept
        }
        // The heaviest client (ties: the lower address, for determinism) gives up its oldest.
        let heaviest = self.byClient.max { a, b in
            a.value.count != b.value.count ? a.value.count < b.value.count : a.key > b.key
        }
        guard let (_, keys) = heaviest, keys.count > mine + 1, let victim = keys.first else { return .reject }
        self.remove(victim)
        self.add(key, client: client)
        return .acceptEvicting(victim)
    }

    private mutating func add(_ key: Key, client: String) {
        self.open.insert(key)
        self.byClient[client, default: []].append(key)
        self.clientOf[key] = client
    }

    private mutating func remove(_ key: Key) {
        self.open.remove(key)
        guard let client = self.clientOf.removeValue(forKey: key) else { return }
        self.byClient[client]?.removeAll { $0 == key }
        if self.byClient[client]?.isEmpty == true { self.byClient[client] = nil }
    }

    mutating func closed(_ key: Key) -> CloseAction {
        guard self.open.contains(key) else { return .none }
        self.remove(key)
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
