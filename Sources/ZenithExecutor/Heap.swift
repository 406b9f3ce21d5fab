internal import CMalloc

/// The process heap, as the C allocator keeps it.
public enum Heap {
    /// Returns the heap's free memory to the system (glibc's `malloc_trim(0)`).
    ///
    /// glibc keeps what is freed in its arenas for reuse: after a model's weights and buffers
    /// are freed, the process's resident size stays where it was, and each reload of a large
    /// model on a new loader thread (a new arena) adds to it. Called once a model is no longer
    /// referenced. It walks every arena under its lock, so it belongs after rare events such as
    /// an unload, not on a request's path.
    /// - Returns: whether any memory was returned.
    @discardableResult
    public static func returnFreeMemory() -> Bool {
        zenith_malloc_trim() == 1
    }
}
