import Foundation
import ZenithCore
import ZenithJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operator's targets per model and, when a state directory is configured, the file they
/// persist to (`<state-dir>/slo-targets.json`).
///
/// The file is read once at start-up; an unreadable or invalid file stops the start. Every change
/// rewrites the whole file atomically (a temporary file, flushed, then renamed over the old one),
/// so a crash leaves either the old or the new targets, never half of them. Entries of models
/// that are not loaded are kept, so a model unloaded or absent on this replica keeps its targets.
public final class SLOStateStore: Sendable {
    /// The state file's name inside the state directory.
    public static let fileName = "slo-targets.json"
    /// The state file's format version.
    static let version = 1

    /// The state file; `nil` keeps the targets in memory only.
    public let file: String?
    private let entries: Locked<[String: StoredTargets]>

    /// A store without a state file: targets set at run time last until the process ends.
    public init() {
        file = nil
        entries = Locked([:])
    }

    /// Reads `<directory>/slo-targets.json` if it exists (the directory is created if it does not).
    ///
    /// - Throws: `StateFileError` naming the file and the fault when the directory cannot be made,
    ///   or the file cannot be read or is not a valid state file.
    public init(directory: String) throws(StateFileError) {
        let file = "\(directory)/\(Self.fileName)"
        self.file = file
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StateFileError(file: file, reason: "cannot create the state directory: \(error.localizedDescription)")
        }
        guard FileManager.default.fileExists(atPath: file) else {
            entries = Locked([:])
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw StateFileError(file: file, reason: "cannot be read: \(error.localizedDescription)")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: data)
        } catch {
            throw StateFileError(file: file, reason: "not valid JSON (\(error))")
        }
        do throws(JSONFieldError) {
            entries = Locked(try Self.decode(document))
        } catch {
            throw StateFileError(file: file, reason: error.message)
        }
    }

    /// The targets stored for `model`, if any.
    func targets(for model: String) -> StoredTargets? {
        entries.withLock { $0[model] }
    }

    /// Every stored entry (tests and diagnostics).
    var allTargets: [String: StoredTargets] {
        entries.withLock { $0 }
    }

    /// Runs `body` with every other change excluded. `body` gets the entries to change and `save`,
    /// which writes entries to the state file (nothing without one); `body` decides what to do
    /// when saving fails, for instance to put a scheduler's policy back.
    ///
    /// Blocking: it may write and flush a file. Call it off the event loops.
    func update<T>(
        _ body: (inout [String: StoredTargets], _ save: ([String: StoredTargets]) throws(StateFileError) -> Void)
            throws(RequestError) -> T
    ) throws(RequestError) -> T {
        try entries.withLock { (entries) throws(RequestError) -> T in
            try body(&entries, write)
        }
    }

    /// Writes `entries` to the state file atomically.
    private func write(_ entries: [String: StoredTargets]) throws(StateFileError) {
        guard let file else { return }
        let text = Self.encode(entries).serialized(pretty: true) + "\n"
        // Unique per process, so replicas sharing a state directory do not write the same file.
        let temporary = "\(file).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                throw StateFileError(file: temporary, reason: "cannot be written")
            }
            // Flushed before the rename, so the name never points at data still in the page cache only.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.synchronize()
        } catch let error as StateFileError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StateFileError(file: temporary, reason: "cannot be written: \(error.localizedDescription)")
        }
        guard rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw StateFileError(file: file, reason: "cannot be replaced: \(reason)")
        }
    }

    /// `{"version": 1, "models": {...}}`, models sorted by name.
    static func encode(_ entries: [String: StoredTargets]) -> JSONValue {
        [
            "version": JSONValue(version),
            "models": .object(JSONObject(entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })),
        ]
    }

    /// Reads a state file's document.
    static func decode(_ value: JSONValue) throws(JSONFieldError) -> [String: StoredTargets] {
        let root = try StrictJSONObject(value, path: "", allowed: ["version", "models"])
        guard let version = try root.number("version") else { throw JSONFieldError("missing 'version'") }
        guard version == Double(Self.version) else {
            let shown = Int(exactly: version).map(String.init) ?? "\(version)"
            throw JSONFieldError("version \(shown) is not supported (this server reads version \(Self.version))")
        }
        guard let models = try root.object("models", allowed: nil) else { throw JSONFieldError("missing 'models'") }
        var entries: [String: StoredTargets] = [:]
        for (model, value) in models.members {
            guard !model.isEmpty else { throw JSONFieldError("models has an entry with an empty name") }
            entries[model] = try StoredTargets(json: value, path: models.path(of: model))
        }
        return entries
    }
}
