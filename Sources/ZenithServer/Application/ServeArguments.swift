import Foundation
public import ZenithJSON

/// `zenith serve`'s options from a configuration file and the environment as well as flags.
///
/// The file (`--config FILE`) is a JSON object whose keys are option names without the dashes
/// (`"port": 8080`, `"dense-only": true`, `"log-format": "json"`); the environment sets an option
/// as `ZENITH_SERVE_<NAME>` (`ZENITH_SERVE_PORT=8080`, `ZENITH_SERVE_DENSE_ONLY=true`). The command
/// line wins over the environment, which wins over the file. What they set is turned into
/// ordinary arguments, so an unknown name or a bad value is refused by the option's own check,
/// naming it.
public enum ServeArguments {
    /// The environment variables' prefix.
    public static let environmentPrefix = "ZENITH_SERVE_"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `arguments` (those after `serve`) with every option the environment or `file` sets, and
    /// the command line does not, appended.
    public static func complete(
        _ arguments: [String], file: JSONValue?, environment: [String: String]
    ) throws(Failure) -> [String] {
        var given = Set(arguments.compactMap(Self.optionName))
        var added: [String] = []
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) where key.hasPrefix(environmentPrefix) {
            let name = key.dropFirst(environmentPrefix.count).lowercased().replacingOccurrences(of: "_", with: "-")
            guard !name.isEmpty, !given.contains(name) else { continue }
            given.insert(name)
            switch value.lowercased() {
            case "true": added.append("--\(name)")
            case "false": break
            default: added += ["--\(name)", value]
            }
        }
        if let file {
            guard let object = file.objectValue else {
                throw Failure(description: "--config: the file must hold a JSON object of option names and values")
            }
            for (name, value) in object.entries where !given.contains(name) {
                added += try Self.arguments(name, value)
            }
        }
        return arguments + added
    }

    /// The option a command-line word names (`--port` or `--port=8080` → `port`), if any.
    private static func optionName(_ word: String) -> String? {
        guard word.hasPrefix("--"), word.count > 2 else { return nil }
        return String(word.dropFirst(2).split(separator: "=", maxSplits: 1)[0])
    }

    private static func arguments(_ name: String, _ value: JSONValue) throws(Failure) -> [String] {
        switch value {
        case .bool(true): return ["--\(name)"]
        case .bool(false), .null: return []
        case .int(let number): return ["--\(name)", String(number)]
        case .double(let number): return ["--\(name)", String(number)]
        case .string(let text): return ["--\(name)", text]
        case .array(let items):
            var out: [String] = []
            for item in items { out += try arguments(name, item) }
            return out
        case .object:
            throw Failure(description: "--config: \"\(name)\" is an object; an option takes a number, string, boolean or list")
        }
    }
}
