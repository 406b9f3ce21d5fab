/// When requests leave, relative to the scenario's rate.
public enum ArrivalProcess: Sendable, Equatable {
    /// Evenly spaced at the rate.
    case constant
    /// Exponential gaps with the rate as mean.
    case poisson
    /// The rate times `multiple` from each step's start on (steps sorted by start).
    case step(steps: [RateStep], poisson: Bool)
    /// The rate, raised to `multiple` times the rate for `burstSeconds` at the start of every `periodSeconds`.
    case burst(periodSeconds: Double, burstSeconds: Double, multiple: Double, poisson: Bool)
    /// Send offsets (seconds from the start) replayed as given; the rate is not used.
    case trace(offsets: [Double])

    /// One step of a step load.
    public struct RateStep: Sendable, Equatable {
        /// Seconds from the start of the run.
        public var atSeconds: Double
        /// Multiple of the scenario rate from here on.
        public var multiple: Double

        /// Creates a step.
        public init(atSeconds: Double, multiple: Double) {
            self.atSeconds = atSeconds
            self.multiple = multiple
        }
    }

    /// The process's name as written in scenario files.
    public var name: String {
        switch self {
        case .constant: "constant"
        case .poisson: "poisson"
        case .step: "step"
        case .burst: "burst"
        case .trace: "trace"
        }
    }
}
