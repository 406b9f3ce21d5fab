public import ArgumentParser
public import ZenithJSON

/// `sloctl status`: per model, the last window's request rate, latency, attainment and plan mix.
public struct Status: OperatorCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Show requests/s, p50/p99 latency, SLO attainment, plan mix, queue depth and rejects per model.")

    @OptionGroup public var options: OperatorOptions

    public init() {}

    public func request() -> OperatorRequest { .status }

    public func render(_ response: JSONValue) throws(OperatorError) -> String {
        try SLOReport.status(response)
    }

    /// Several replicas: one row per replica and model, and per model a total.
    public func renderCombined(_ responses: [(endpoint: String, response: JSONValue)]) throws(OperatorError) -> String? {
        try SLOReport.replicaStatus(responses)
    }
}
