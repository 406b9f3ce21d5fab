import Synchronization

/// Progress lines while a run goes on (`zenith-load run` writes them to standard error), so a
/// long run is not silent: every `interval`, the time, the requests sent and answered so far, and
/// the attainment of the answers that came in since the previous line.
///
/// The attainment is judged exactly as in the report, but on at most `maxJudged` answers a line
/// (evenly spread over them), so that decoding responses during the run stays a small, bounded
/// cost beside the sender's.
public struct RunProgress: Sendable {
    /// Time between lines.
    public var interval: Duration
    /// Answers decoded per line at most.
    public var maxJudged: Int
    /// Receives each line.
    public var report: @Sendable (String) -> Void

    /// - Parameters:
    ///   - interval: time between lines (a line every few seconds by default).
    ///   - maxJudged: answers decoded per line at most.
    ///   - report: receives each line.
    public init(
        interval: Duration = .seconds(5), maxJudged: Int = 1_000, report: @escaping @Sendable (String) -> Void
    ) {
        self.interval = interval
        self.maxJudged = max(1, maxJudged)
        self.report = report
    }

    /// One line, e.g. `slo: 15 s of 60 s, sent 3000 of 12000, answered 2990, attainment 99.6% of
    /// the last 5 s's answers`.
    ///
    /// - Parameters:
    ///   - mode: the run's label.
    ///   - elapsedSeconds: since the run's clock started.
    ///   - durationSeconds: the schedule's length (after it, answers are being waited for).
    ///   - sent: requests sent so far.
    ///   - scheduled: requests in the schedule.
    ///   - answered: answers (of any status) received so far.
    ///   - attained: of the `judged` recent answers, those that met their SLO.
    ///   - judged: recent answers judged.
    ///   - intervalSeconds: the span "recent" covers.
    public static func line(
        mode: String, elapsedSeconds: Double, durationSeconds: Double, sent: Int, scheduled: Int, answered: Int,
        attained: Int, judged: Int, intervalSeconds: Double
    ) -> String {
        let time =
            elapsedSeconds <= durationSeconds
            ? "\(formatNumber(elapsedSeconds, 0)) s of \(formatNumber(durationSeconds, 0)) s"
            : "\(formatNumber(elapsedSeconds, 0)) s, waiting for answers"
        let recent = "the last \(formatNumber(intervalSeconds, intervalSeconds < 1 ? 1 : 0)) s"
        let attainment =
            judged > 0
            ? "attainment \(formatPercent(Double(attained) / Double(judged))) of \(recent)'s answers"
            : "no answers in \(recent)"
        return "\(mode): \(time), sent \(sent) of \(scheduled), answered \(answered), \(attainment)"
    }
}

/// Requests sent so far: stored by the sender thread, read by the progress task.
final class SentCounter: Sendable {
    private let sent = Atomic<Int>(0)

    /// Request `index` (schedule order) is leaving.
    func sending(_ index: Int) { sent.store(index + 1, ordering: .relaxed) }

    var count: Int { sent.load(ordering: .relaxed) }
}
