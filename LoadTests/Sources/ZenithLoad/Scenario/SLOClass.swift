/// One class of the request mix: its targets, its share, and how the targets reach the server.
public struct SLOClass: Sendable, Equatable {
    /// How a request of the class tells the server its targets.
    public enum Delivery: String, Sendable, Equatable {
        /// `parameters.latency_target_ms` and `parameters.accuracy_target` (plus `slo_class` with
        /// the class name when `sendClassName`): fixed for the run, operator actions cannot move them.
        case parameters
        /// Only `parameters.slo_class`; the server resolves the class's targets (the harness
        /// creates the class through the operator API before the run, and set-target actions on
        /// the class move them).
        case serverClass = "class"
        /// No targets at all: the model default applies (the harness sets it through the operator
        /// API before the run, and set-target actions without a class move it).
        case modelDefault = "default"
    }

    /// The class name (reports group by it).
    public var name: String
    /// The share of requests, relative to the other classes' shares.
    public var share: Double
    /// The latency target the request is judged against, milliseconds.
    public var latencyTargetMs: Double
    /// The accuracy target (0–1) the serving plan's expected accuracy must meet.
    public var accuracyTarget: Double
    /// How the targets travel.
    public var delivery: Delivery
    /// With `.parameters`: also send `slo_class` (the server answers 400 for classes it does not know).
    public var sendClassName: Bool

    /// Creates a class.
    public init(
        name: String, share: Double, latencyTargetMs: Double, accuracyTarget: Double,
        delivery: Delivery = .parameters, sendClassName: Bool = false
    ) {
        self.name = name
        self.share = share
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
        self.delivery = delivery
        self.sendClassName = sendClassName
    }
}
