/// One request of a run: when it was due, when it left, what came back, and whether it met its SLO.
public struct Sample: Sendable, Equatable {
    /// The request's index in the schedule.
    public var index: Int
    /// The class's name.
    public var sloClass: String
    /// Scheduled send time, ns from the start.
    public var scheduledNanos: UInt64
    /// Actual send time, ns from the start.
    public var sentNanos: UInt64
    /// When the answer came, ns from the start; `nil` when none came before the run gave up.
    public var completedNanos: UInt64?
    /// The latency target the request was judged against (the class's, moved by due operator actions).
    public var latencyTargetMs: Double
    /// The accuracy target the request was judged against.
    public var accuracyTarget: Double
    /// The labels of the request's images, in input order.
    public var labels: [Int]
    /// What the answer said.
    public var outcome: InferenceOutcome

    /// Creates a sample.
    public init(
        index: Int, sloClass: String, scheduledNanos: UInt64, sentNanos: UInt64, completedNanos: UInt64?,
        latencyTargetMs: Double, accuracyTarget: Double, labels: [Int], outcome: InferenceOutcome
    ) {
        self.index = index
        self.sloClass = sloClass
        self.scheduledNanos = scheduledNanos
        self.sentNanos = sentNanos
        self.completedNanos = completedNanos
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
        self.labels = labels
        self.outcome = outcome
    }

    /// Latency from the *scheduled* send time, so a late send is charged to the latency.
    public var latencyNanos: UInt64? {
        completedNanos.map { $0 >= scheduledNanos ? $0 - scheduledNanos : 0 }
    }

    /// How far behind schedule the request left.
    public var lateNanos: UInt64 { sentNanos >= scheduledNanos ? sentNanos - scheduledNanos : 0 }

    /// Whether the request left more than `lateThresholdNanos` behind schedule.
    public var isLate: Bool { lateNanos > Self.lateThresholdNanos }

    /// How far behind schedule a send counts as the harness falling behind (reports' "sends > 1 ms
    /// late"): well above the scheduler's wake-up jitter, well below any latency target.
    public static let lateThresholdNanos: UInt64 = 1_000_000

    /// Images the request carried.
    public var images: Int { labels.count }

    /// Whether it was answered with outputs (HTTP 200 with a prediction for every image).
    public var answered: Bool { outcome.status == 200 && outcome.predictedClasses.count == labels.count && !labels.isEmpty }

    /// Images whose prediction matched the label (`nil` when not answered).
    public var correctImages: Int? {
        guard answered else { return nil }
        return zip(outcome.predictedClasses, labels).count { $0 == $1 }
    }

    /// Whether the SLO was met: answered within the latency target by a plan whose expected
    /// accuracy meets the accuracy target. Rejections, errors and lost answers are misses.
    public var attained: Bool {
        guard answered, let latency = latencyNanos, let expected = outcome.expectedAccuracy else { return false }
        // The server reports accuracies rounded through JSON: allow a hair of slack.
        return Double(latency) <= latencyTargetMs * 1e6 && expected >= accuracyTarget - 1e-9
    }
}
