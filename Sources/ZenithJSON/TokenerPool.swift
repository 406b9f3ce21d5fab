internal import CJSONC
import Synchronization

/// json-c tokenizers kept for reuse, by nesting depth.
///
/// A new tokenizer allocates and zeroes a parse stack of its depth and a string buffer; one per
/// parse was a measurable share of an inference request's cost, and parses on a server's few
/// threads need only a few at a time.
final class TokenerPool: Sendable {
    static let shared = TokenerPool()

    /// A tokenizer that is not in use by anyone (so it may cross threads).
    struct Tokener: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<json_tokener>
        let depth: Int32
    }

    /// More than this many idle tokenizers are freed rather than kept.
    private static let limit = 16
    private let idle = Mutex<[Tokener]>([])

    /// A reset tokenizer of `depth`, reused or new; `nil` when out of memory.
    func take(depth: Int32) -> Tokener? {
        let reused = idle.withLock { idle -> Tokener? in
            guard let index = idle.lastIndex(where: { $0.depth == depth }) else { return nil }
            return idle.remove(at: index)
        }
        if let reused {
            json_tokener_reset(reused.pointer)
            return reused
        }
        return json_tokener_new_ex(depth).map { Tokener(pointer: $0, depth: depth) }
    }

    /// Returns a tokenizer from `take(depth:)`.
    func give(_ tokener: Tokener) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.limit else { return false }
            idle.append(tokener)
            return true
        }
        if !kept { json_tokener_free(tokener.pointer) }
    }
}
