/// How the server of one run serves: Zenith's controller, or a baseline a user could run instead.
///
/// - `slo`: `zenith serve`, the SLO controller.
/// - `dense`: `--dense-only`: the whole network, first come first served.
/// - `dense-timeout`: the same server, each request sending its latency target as Triton's
///   `timeout` (microseconds), so work still queued when it is due is dropped, as Triton drops it.
/// - `static:PLAN`: `--static-plan MODEL=PLAN`: one fixed cheaper plan for every request, as a
///   statically pruned model would serve.
/// - any other label: a server the harness did not start (`--endpoint`), named for the report.
public enum ServingMode: Sendable, Equatable, CustomStringConvertible {
    case slo
    case dense
    case denseTimeout
    case staticPlan(String)
    case external(String)

    /// Reads a `--compare` word; `external` allows any label (a given endpoint's).
    public init(parsing word: String, external: Bool = false) throws(ScenarioError) {
        switch word {
        case "slo": self = .slo
        case "dense": self = .dense
        case "dense-timeout": self = .denseTimeout
        case _ where word.hasPrefix("static:"):
            let plan = String(word.dropFirst("static:".count))
            guard !plan.isEmpty, plan != "dense" else {
                throw ScenarioError("static:PLAN names a non-dense plan of the model (dense is the dense baseline), not '\(word)'")
            }
            self = .staticPlan(plan)
        case _ where external && !word.isEmpty: self = .external(word)
        default:
            throw ScenarioError("a mode is slo, dense, dense-timeout or static:PLAN, not '\(word)'")
        }
    }

    public var description: String {
        switch self {
        case .slo: "slo"
        case .dense: "dense"
        case .denseTimeout: "dense-timeout"
        case .staticPlan(let plan): "static:\(plan)"
        case .external(let label): label
        }
    }

    /// The `zenith serve` flags of the mode, for `model`.
    public func serverArguments(model: String) -> [String] {
        switch self {
        case .slo, .external: []
        case .dense, .denseTimeout: ["--dense-only"]
        case .staticPlan(let plan): ["--static-plan", "\(model)=\(plan)"]
        }
    }

    /// Whether requests carry their latency target as Triton's `timeout`.
    public var sendsTimeout: Bool { self == .denseTimeout }

    /// Whether the mode is a baseline Zenith is compared against (not the controller itself).
    public var isBaseline: Bool {
        switch self {
        case .dense, .denseTimeout, .staticPlan: true
        case .slo, .external: false
        }
    }
}
