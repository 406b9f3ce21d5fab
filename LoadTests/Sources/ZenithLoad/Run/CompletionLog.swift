import NIOConcurrencyHelpers
import Synchronization
import ZenithHTTP

/// Where answers land during a run: one array per connection, each behind its own mutex.
///
/// A connection's completions arrive on its own event loop, so each mutex is uncontended but
/// for the single merge at the end; no global lock sits on the hot path.
final class CompletionLog: Sendable {
    /// One answer: the request's index in the schedule, when it came, and what it was.
    struct Entry: Sendable {
        var index: Int
        var completedNanos: UInt64
        var result: Result<HTTPResponse, any Error>
    }

    /// One connection's entries (a class: `Mutex` cannot live in an array by value).
    private final class Shard: Sendable {
        let entries: NIOLockedValueBox<[Entry]>
        init(capacity: Int) {
            var entries: [Entry] = []
            entries.reserveCapacity(capacity)
            self.entries = NIOLockedValueBox(entries)
        }
    }

    private let shards: [Shard]
    private let completed = Atomic<Int>(0)

    init(connections: Int, expected: Int) {
        let perShard = expected / max(connections, 1) + 16
        self.shards = (0..<max(connections, 1)).map { _ in Shard(capacity: perShard) }
    }

    func record(_ entry: Entry, connection: Int) {
        shards[connection].entries.withLockedValue { $0.append(entry) }
        completed.add(1, ordering: .releasing)
    }

    /// Answers recorded so far.
    var count: Int { completed.load(ordering: .acquiring) }

    /// The entries recorded since `marks` (one position per connection, empty at first), which
    /// move past what is returned: for progress reports while the run goes on.
    func entries(after marks: inout [Int]) -> [Entry] {
        if marks.count != shards.count { marks = [Int](repeating: 0, count: shards.count) }
        var recent: [Entry] = []
        for (connection, shard) in shards.enumerated() {
            shard.entries.withLockedValue { entries in
                recent.append(contentsOf: entries[marks[connection]...])
                marks[connection] = entries.count
            }
        }
        return recent
    }

    /// Every entry, merged (call once sending has stopped and answers are in or given up).
    func drain() -> [Entry] {
        shards.flatMap { shard in shard.entries.withLockedValue { entries in entries } }
    }
}
