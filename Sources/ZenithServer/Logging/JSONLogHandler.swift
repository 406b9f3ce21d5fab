import Foundation
public import Logging
import ZenithJSON

/// A swift-log backend that writes one JSON object a line (`zenith serve --log-format json`),
/// for log collectors that index fields (Loki, Elasticsearch, `jq`).
///
/// Each record is `{"timestamp", "level", "label", "message", "source", ...}` followed by its
/// metadata as top-level fields, sorted by key: the handler's own, then the metadata provider's,
/// then the call's (a later one wins), then `error` when the record carries one. A metadata key
/// that names one of the fixed fields is written as `metadata.<key>` so that it cannot hide them.
/// Metadata given as `.stringConvertible` integers, floating-point numbers and booleans become
/// JSON numbers and booleans; everything else is a string (`"\(x)"` metadata is always a string).
/// Serialisation is json-c's (ZenithJSON), so control characters and quotes are escaped.
public struct JSONLogHandler: LogHandler {
    /// The fields every record starts with.
    public static let fixedFields = ["timestamp", "level", "label", "message", "source"]

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info

    private let label: String
    private let now: @Sendable () -> Date
    private let write: @Sendable (String) -> Void

    /// - Parameters:
    ///   - label: the logger's label (the `label` field).
    ///   - metadataProvider: adds metadata to every record (swift-log's task-local context).
    ///   - now: the clock of the `timestamp` field.
    ///   - write: receives each record as one line, newline included, in one call.
    init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Date = Date.init, write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.now = now
        self.write = write
    }

    /// A handler writing to standard error, one `write` per record so that records from
    /// different threads never interleave.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: LoggingSystem.metadataProvider) { line in
            StandardError.write(line)
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(line(for: event))
    }

    /// The record's line: a JSON object and a newline.
    func line(for event: LogEvent) -> String {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }

        var object: JSONObject = [
            "timestamp": .string(Self.timestampFormat.format(now())),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(event.message.description),
            "source": .string(event.source),
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            object[Self.fixedFields.contains(key) ? "metadata.\(key)" : key] = Self.json(value)
        }
        return JSONValue.object(object).serialized() + "\n"
    }

    /// UTC, milliseconds: `2025-01-31T12:34:56.789Z`.
    private static let timestampFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string):
            return .string(string)
        case .stringConvertible(let convertible):
            switch convertible {
            case let bool as Bool: return .bool(bool)
            case let integer as any BinaryInteger: return .int(Int64(clamping: integer))
            case let double as Double: return .double(double)
            case let float as Float: return .double(Double(float))
            default: return .string(convertible.description)
            }
        case .array(let values):
            return .array(values.map(json))
        case .dictionary(let dictionary):
            return .object(JSONObject(dictionary.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}

/// Standard error, written a whole line at a time under a lock.
private enum StandardError {
    private static let lock = Locked(())

    static func write(_ line: String) {
        lock.withLock { _ in try? FileHandle.standardError.write(contentsOf: Data(line.utf8)) }
    }
}
