/// The handler tasks of one connection's requests that are not answered yet, so that a client
/// who leaves (a reset stream, a closed connection) cancels the work done for it.
///
/// Confined to the connection's event loop. A handler may answer synchronously, inside
/// ``start(id:_:)`` and before its task handle exists; such a request is never recorded.
final class RunningRequests {
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var starting: Int?
    private var answeredWhileStarting = false

    var count: Int { self.tasks.count }

    /// Runs `start` (which starts the handler of request `id` and returns its task) and records
    /// the task unless the request was answered meanwhile.
    func start(id: Int, _ start: () -> Task<Void, Never>) {
        self.starting = id
        self.answeredWhileStarting = false
        let task = start()
        self.starting = nil
        if !self.answeredWhileStarting { self.tasks[id] = task }
    }

    /// Request `id` has its response: nothing to cancel any more.
    func answered(id: Int) {
        if id == self.starting {
            self.answeredWhileStarting = true
        } else {
            self.tasks[id] = nil
        }
    }

    /// The client no longer wants request `id`: cancels its handler.
    func abandon(id: Int) {
        self.tasks.removeValue(forKey: id)?.cancel()
    }

    /// The client left: cancels every handler still running.
    func abandonAll() {
        let running = self.tasks
        self.tasks = [:]
        for task in running.values { task.cancel() }
    }
}
