internal import CJSONC
import Synchronization

/// json-c tokeners kept for reuse between parses.
///
/// A tokener carries a stack of one record per nesting level: at the default depth of 64 that is
/// a 2 KiB allocation, past the sizes glibc's per-thread cache serves, so making and freeing one
/// for every small inference header went through malloc's slow paths. A few idle tokeners are
/// kept (one per thread that parses at once is enough); more are freed.
final class TokenerPool: Sendable {
    /// A json-c tokener, owned by whoever holds it.
    struct Tokener: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<json_tokener>
    }

    static let shared = TokenerPool(depth: 64, keep: 8)

    let depth: Int32
    private let keep: Int
    private let idle = Mutex<[Tokener]>([])

    init(depth: Int32, keep: Int) {
        self.depth = depth
        self.keep = keep
    }

    /// Tokeners waiting for their next parse.
    var idleCount: Int { self.idle.withLock { $0.count } }

    deinit {
        for tokener in self.idle.withLock({ $0 }) { json_tokener_free(tokener.pointer) }
    }

    /// Runs `body` with a reset tokener of this pool's depth (nil if json-c cannot allocate one).
    func withTokener<R, E: Error>(_ body: (UnsafeMutablePointer<json_tokener>?) throws(E) -> R) throws(E) -> R {
        var tokener = self.idle.withLock { $0.popLast() }
        if let tokener {
            json_tokener_reset(tokener.pointer)
        } else {
            tokener = json_tokener_new_ex(self.depth).map(Tokener.init)
        }
        defer {
            if let tokener {
                let kept = self.idle.withLock { idle in
                    guard idle.count < self.keep else { return false }
                    idle.append(tokener)
                    return true
                }
                if !kept { json_tokener_free(tokener.pointer) }
            }
        }
        return try body(tokener?.pointer)
    }
}
