/// What an operator API request asks for, decided from its method and path alone
/// (operator-api-spec.md: the `slo` extension, on the operator listener only).
enum OperatorRoute: Sendable, Equatable {
    /// `GET /v2`: the server metadata, as on the data port.
    case serverMetadata
    /// `GET /v2/slo`: every loaded model's targets.
    case models
    /// `GET /v2/slo/status`: the last seconds' figures of every loaded model.
    case status
    /// `GET /v2/slo/models/{m}`
    case model(String)
    /// `POST /v2/slo/models/{m}`: change targets or the infeasible policy.
    case update(String)
    /// `DELETE /v2/slo/models/{m}/classes/{c}`
    case deleteClass(model: String, sloClass: String)

    /// Matches a request's method and path (without its query string); path segments are
    /// percent-decoded as on the data port.
    static func match(method: String, path: Substring) -> Result<OperatorRoute, Route.MatchError> {
        guard path.first == "/", let segments = Route.segments(path.dropFirst()) else { return .failure(.notFound) }
        let candidates: [(method: String, route: OperatorRoute)]
        switch segments {
        case ["v2"]: candidates = [("GET", .serverMetadata)]
        case ["v2", "slo"]: candidates = [("GET", .models)]
        case ["v2", "slo", "status"]: candidates = [("GET", .status)]
        case let s where s.count == 4 && s[0...2] == ["v2", "slo", "models"]:
            candidates = [("GET", .model(s[3])), ("POST", .update(s[3]))]
        case let s where s.count == 6 && s[0...2] == ["v2", "slo", "models"] && s[4] == "classes":
            candidates = [("DELETE", .deleteClass(model: s[3], sloClass: s[5]))]
        default: return .failure(.notFound)
        }
        guard let match = candidates.first(where: { $0.method == method }) else {
            return .failure(.methodNotAllowed(allowed: candidates.map(\.method)))
        }
        return .success(match.route)
    }
}
