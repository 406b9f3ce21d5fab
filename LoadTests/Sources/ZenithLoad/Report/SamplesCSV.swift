import Foundation

extension LoadReport {
    /// The CSV header of `samples.csv`.
    public static let csvHeader =
        "mode,capacity_multiple,index,class,scheduled_s,sent_s,late_ms,latency_ms,status,plan,exited,"
        + "expected_accuracy,images,labels,predicted,correct,latency_target_ms,accuracy_target,attained,reject_reason,"
        + "server_queue_ms,server_compute_ms,server_total_ms"

    /// `samples.csv`: one line per request of every run (latency from the scheduled send time;
    /// empty fields where there is nothing, e.g. no latency for a lost answer). `labels` and
    /// `predicted` list the request's images in input order, separated by spaces; `correct` is
    /// the number of its images predicted right. The `server_*` fields are the server's own
    /// timings of a 200 (`queue_us`, `compute_us`, `total_us`): latency minus `server_total_ms` is
    /// the transport's and the client's share.
    public func samplesCSV() -> String {
        var lines = [Self.csvHeader]
        for entry in entries {
            let multiple = entry.capacityMultiple.map { formatNumber($0, 3) } ?? ""
            for s in entry.record.samples {
                let serverTimings = [s.outcome.serverQueueMicros, s.outcome.serverComputeMicros, s.outcome.serverTotalMicros]
                    .map { micros in micros.map { formatNumber($0 / 1_000, 3) } ?? "" }
                let fields: [String] = [
                    entry.record.mode, multiple, String(s.index), s.sloClass,
                    formatNumber(Double(s.scheduledNanos) / 1e9, 6), formatNumber(Double(s.sentNanos) / 1e9, 6),
                    formatNumber(Double(s.lateNanos) / 1e6, 3), s.latencyNanos.map { formatNumber(Double($0) / 1e6, 3) } ?? "",
                    String(s.outcome.status), s.outcome.plan ?? "", s.answered ? String(s.outcome.exited) : "",
                    s.outcome.expectedAccuracy.map { formatNumber($0, 4) } ?? "", String(s.images),
                    s.labels.map(String.init).joined(separator: " "),
                    s.outcome.predictedClasses.map(String.init).joined(separator: " "),
                    s.correctImages.map(String.init) ?? "",
                    formatNumber(s.latencyTargetMs, 3), formatNumber(s.accuracyTarget, 4), String(s.attained),
                    s.outcome.rejectReason ?? "",
                ]
                    + serverTimings
                lines.append(fields.map(Self.csvField).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
