public import NIOPosix

/// Runs `body` with an event loop group of its own, shut down afterwards.
///
/// For a test that drives much traffic (thousands of requests, a closed loop for seconds): on the
/// process-wide `MultiThreadedEventLoopGroup.singleton`, which every other test's connections and
/// servers share, its work would queue ahead of theirs and hold up their handshakes and answers
/// for seconds in a sanitized run.
public func withEventLoopGroup<Result>(
    threads: Int = 1, _ body: (MultiThreadedEventLoopGroup) async throws -> Result
) async throws -> Result {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    let result: Result
    do {
        result = try await body(group)
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
    try await group.shutdownGracefully()
    return result
}
