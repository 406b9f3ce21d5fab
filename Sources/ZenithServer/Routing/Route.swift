/// What a request asks for, decided from its method and path alone (ARCHITECTURE.md §4).
public enum Route: Sendable, Equatable {
    /// `GET /v2`
    case serverMetadata
    /// `GET /v2/health/live`
    case live
    /// `GET /v2/health/ready`
    case ready
    /// `GET /v2/models/{m}[/versions/{v}]`
    case modelMetadata(ModelReference)
    /// `GET /v2/models/{m}[/versions/{v}]/ready`
    case modelReady(ModelReference)
    /// `GET /v2/models/{m}[/versions/{v}]/config`
    case modelConfig(ModelReference)
    /// `GET /v2/models/{m}[/versions/{v}]/stats`, or every model's with `GET /v2/models/stats`.
    case modelStatistics(ModelReference?)
    /// `POST /v2/models/{m}[/versions/{v}]/infer`
    case infer(ModelReference)
    /// `POST /v2/repository/index`
    case repositoryIndex
    /// `POST /v2/repository/models/{m}/load`
    case load(String)
    /// `POST /v2/repository/models/{m}/unload`
    case unload(String)
    /// `GET /metrics`
    case metrics

    /// A model named in a path, with the version segment if there was one.
    public struct ModelReference: Sendable, Equatable {
        public var name: String
        public var version: String?

        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    /// Why no route matched.
    public enum MatchError: Error, Sendable, Equatable {
        /// No route has this path (404).
        case notFound
        /// The path exists but not for this method (405); the methods it takes.
        case methodNotAllowed(allowed: [String])

        public var requestError: RequestError {
            switch self {
            case .notFound: .notFound("no such path")
            case .methodNotAllowed(let allowed):
                RequestError(
                    status: 405, message: "method not allowed; use \(allowed.joined(separator: " or "))",
                    allowedMethods: allowed)
            }
        }
    }

    /// Matches a request's method and path (without its query string).
    ///
    /// Path segments are percent-decoded; an empty segment, a malformed escape or a trailing slash
    /// matches nothing.
    public static func match(method: String, path: Substring) -> Result<Route, MatchError> {
        guard path.first == "/", let segments = segments(path.dropFirst()) else { return .failure(.notFound) }
        guard let (route, allowed) = route(for: segments) else { return .failure(.notFound) }
        // HEAD is GET without the body (RFC 9110 §9.3.2), which the transport leaves out.
        if method == allowed || (method == "HEAD" && allowed == "GET") { return .success(route) }
        return .failure(.methodNotAllowed(allowed: allowed == "GET" ? ["GET", "HEAD"] : [allowed]))
    }

    /// The route of a path and the one method it takes.
    ///
    /// Compares segment by segment: matching `segments` against array literals would build an
    /// array per case on every request.
    private static func route(for segments: [String]) -> (Route, String)? {
        switch segments.count {
        case 1:
            if segments[0] == "metrics" { return (.metrics, "GET") }
            if segments[0] == "v2" { return (.serverMetadata, "GET") }
            return nil
        case 3:
            switch (segments[0], segments[1], segments[2]) {
            case ("v2", "health", "live"): return (.live, "GET")
            case ("v2", "health", "ready"): return (.ready, "GET")
            case ("v2", "models", "stats"): return (.modelStatistics(nil), "GET")
            case ("v2", "repository", "index"): return (.repositoryIndex, "POST")
            default: break
            }
        case 5 where segments[0] == "v2" && segments[1] == "repository" && segments[2] == "models":
            switch segments[4] {
            case "load": return (.load(segments[3]), "POST")
            case "unload": return (.unload(segments[3]), "POST")
            default: return nil
            }
        default:
            break
        }
        guard segments.count >= 3, segments[0] == "v2", segments[1] == "models" else { return nil }
        var reference = ModelReference(name: segments[2])
        var rest = 3
        if segments.count > rest, segments[rest] == "versions" {
            guard segments.count >= rest + 2 else { return nil }
            reference.version = segments[rest + 1]
            rest += 2
        }
        switch segments.count - rest {
        case 0: return (.modelMetadata(reference), "GET")
        case 1:
            switch segments[rest] {
            case "ready": return (.modelReady(reference), "GET")
            case "config": return (.modelConfig(reference), "GET")
            case "stats": return (.modelStatistics(reference), "GET")
            case "infer": return (.infer(reference), "POST")
            default: return nil
            }
        default: return nil
        }
    }

    /// Splits and percent-decodes the segments; `nil` for an empty segment or a bad escape.
    static func segments(_ path: Substring) -> [String]? {
        // Split on the byte: `split(separator:)` on a Substring walks grapheme clusters.
        var result: [String] = []
        // Room for the longest route (`v2/models/{m}/versions/{v}/infer`): one allocation.
        result.reserveCapacity(6)
        let utf8 = path.utf8
        var start = utf8.startIndex
        while true {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            guard start < end, let decoded = percentDecoded(utf8[start..<end]) else { return nil }
            result.append(decoded)
            guard end < utf8.endIndex else { return result }
            start = utf8.index(after: end)
        }
    }

    static func percentDecoded(_ segment: Substring) -> String? {
        percentDecoded(segment.utf8)
    }

    /// A segment's bytes, which lie between `/`s of a `String`, so they are valid UTF-8 as they are.
    private static func percentDecoded(_ segment: Substring.UTF8View) -> String? {
        // A byte scan: with Foundation imported, `contains("%")` is a locale-aware substring search.
        guard segment.contains(UInt8(ascii: "%")) else { return String(decoding: segment, as: UTF8.self) }
        var bytes: [UInt8] = []
        var iterator = segment.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
