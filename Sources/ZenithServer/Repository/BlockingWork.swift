import Foundation

/// Runs blocking work (model loading, warm-up: seconds of BLAS) on a thread of its own, so
/// neither an event loop nor Swift's cooperative pool is held up by it.
func runOnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
