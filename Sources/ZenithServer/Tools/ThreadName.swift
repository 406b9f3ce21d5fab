import Foundation

/// Names the calling thread for `top -H`, `perf` and /proc.
///
/// Not through `Thread.name`: corelibs Foundation applies it only once the creating thread has
/// recorded the new thread's handle, which a new thread can outrun (CI saw one of two pollers
/// unnamed). Writing `/proc/thread-self/comm` names the caller itself; Linux keeps 15 bytes.
enum ThreadName {
    static func set(_ name: String) {
        guard let comm = FileHandle(forWritingAtPath: "/proc/thread-self/comm") else { return }
        defer { try? comm.close() }
        try? comm.write(contentsOf: Array(name.utf8.prefix(15)))
    }
}
