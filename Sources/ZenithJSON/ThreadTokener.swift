#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CJSONC

/// One json-c tokener per thread, kept for the thread's next parse at the default depth.
///
/// A tokener carries a stack of one record per nesting level: at the default depth of 64 that is
/// a 2 KiB allocation, past the sizes glibc's per-thread cache serves, so making and freeing one
/// for every small inference header went through malloc's slow paths. A parse runs to its end on
/// the thread that started it (json-c calls nothing back), so a thread's tokener is never in two
/// parses at once, and no lock is needed; it is freed when its thread ends.
enum ThreadTokener {
    static let depth: Int32 = 64

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { tokener in
            #if canImport(Darwin)
            json_tokener_free(tokener.assumingMemoryBound(to: json_tokener.self))
            #else
            tokener.map { json_tokener_free($0.assumingMemoryBound(to: json_tokener.self)) }
            #endif
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// This thread's tokener, reset; nil if json-c cannot allocate one.
    static func current() -> UnsafeMutablePointer<json_tokener>? {
        if let kept = pthread_getspecific(key) {
            let tokener = kept.assumingMemoryBound(to: json_tokener.self)
            json_tokener_reset(tokener)
            return tokener
        }
        guard let tokener = json_tokener_new_ex(depth) else { return nil }
        pthread_setspecific(key, tokener)
        return tokener
    }
}
