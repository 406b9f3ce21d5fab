// Shows why ThreadSanitizer reports races under `Synchronization.Mutex` on Linux
// (docs/SANITIZERS.md); not part of any target. Every access to `counter.value` is inside
// `withLock`, yet under contention TSan reports a "Swift access race":
//
//   swiftc -sanitize=thread -g Tests/Sanitizers/MutexFalsePositive.swift -o /tmp/mutex-tsan && /tmp/mutex-tsan
//
// The uncontended lock and unlock are compare-and-exchanges inlined into the caller, which TSan
// instruments; the contended ones go through FUTEX_LOCK_PI / FUTEX_UNLOCK_PI in the
// uninstrumented libswiftSynchronization.so, where the kernel hands the lock over and TSan sees
// no acquire or release.
import Foundation
import Synchronization

final class Counter: @unchecked Sendable { var value = 0 }

let counter = Counter()
let lock = Mutex<Void>(())
let perThread = 200_000
let threads = (0..<4).map { _ in
    Thread { for _ in 0..<perThread { lock.withLock { _ in counter.value += 1 } } }
}
threads.forEach { $0.start() }
while lock.withLock({ _ in counter.value }) < 4 * perThread { usleep(1000) }
print("counted \(lock.withLock { _ in counter.value })")
