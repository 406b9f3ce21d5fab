import Foundation

/// The folder `zenith`'s relative defaults (`Models`, `Profiles`, `.venv/bin/python`, ...) are
/// taken from, so that `.build/release/zenith serve` finds the checkout's models whatever the
/// working directory.
///
/// The rule, first match wins:
/// 1. `$ZENITH_HOME`, when set and not empty (relative to the working directory if relative);
/// 2. the nearest folder above the executable's real path (symbolic links resolved) that holds
///    both `Models/` and `Package.swift`: the checkout the binary was built in;
/// 3. the working directory.
///
/// A path given explicitly on the command line is never re-based: it means what the shell meant.
public struct ZenithHome: Sendable, Equatable {
    /// Where the home came from (logged at debug level by `zenith serve`).
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case environment
        case executable(String)
        case workingDirectory

        public var description: String {
            switch self {
            case .environment: "$ZENITH_HOME"
            case .executable(let path): "the checkout holding \(path)"
            case .workingDirectory: "the working directory"
            }
        }
    }

    /// The variable that names the home explicitly.
    public static let environmentVariable = "ZENITH_HOME"

    /// An absolute path, without a trailing slash (but `/` itself).
    public var directory: String
    public var source: Source

    public init(directory: String, source: Source) {
        self.directory = directory
        self.source = source
    }

    /// `path` inside the home; an absolute `path` as it is.
    public func path(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return directory == "/" ? "/" + path : directory + "/" + path
    }

    /// Applies the rule to the given facts, touching nothing itself.
    ///
    /// - Parameters:
    ///   - environment: the process environment (only `ZENITH_HOME` is read).
    ///   - executablePath: the executable's real (symlink-free) absolute path, if known.
    ///   - workingDirectory: an absolute path.
    ///   - fileExists: whether a path (file or folder) exists.
    public static func resolve(
        environment: [String: String], executablePath: String?, workingDirectory: String,
        fileExists: (String) -> Bool
    ) -> ZenithHome {
        if let home = environment[environmentVariable], !home.isEmpty {
            let absolute = home.hasPrefix("/") ? home : join(workingDirectory, home)
            return ZenithHome(directory: normalized(absolute), source: .environment)
        }
        if let executablePath, executablePath.hasPrefix("/") {
            var folder = parent(of: normalized(executablePath))
            while true {
                if fileExists(join(folder, "Models")) && fileExists(join(folder, "Package.swift")) {
                    return ZenithHome(directory: folder, source: .executable(executablePath))
                }
                guard folder != "/" else { break }
                folder = parent(of: folder)
            }
        }
        return ZenithHome(directory: normalized(workingDirectory), source: .workingDirectory)
    }

    /// The rule applied to this process.
    public static func detect() -> ZenithHome {
        let files = FileManager.default
        return resolve(
            environment: ProcessInfo.processInfo.environment, executablePath: currentExecutablePath(),
            workingDirectory: files.currentDirectoryPath, fileExists: { files.fileExists(atPath: $0) })
    }

    /// This process's executable, symbolic links resolved (`/proc/self/exe` on Linux).
    static func currentExecutablePath() -> String? {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return target
        }
        guard let path = Bundle.main.executablePath else { return nil }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder == "/" ? "/" + name : folder + "/" + name
    }

    /// The folder holding `path` (`/` for `/` and for a top-level entry).
    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Drops empty and `.` components and applies `..` lexically (no file system access).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
