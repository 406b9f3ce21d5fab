/// A whole `zenith-load` invocation's results: the scenario, the capacity it was scaled by, and
/// every run (both modes of a comparison; every point of a sweep).
public struct LoadReport: Sendable {
    /// One run with its summary and where it ran.
    public struct Entry: Sendable {
        /// The raw samples and actions.
        public var record: RunRecord
        /// The aggregates.
        public var summary: RunSummary
        /// The offered load as a multiple of capacity (sweep points and relative rates).
        public var capacityMultiple: Double?
        /// The server's command line, or the endpoint.
        public var server: String

        /// Creates an entry (the summary is computed here).
        public init(record: RunRecord, capacityMultiple: Double?, server: String) {
            self.record = record
            self.summary = RunSummary(record)
            self.capacityMultiple = capacityMultiple
            self.server = server
        }
    }

    /// The scenario run.
    public var scenario: Scenario
    /// The dense capacity used to scale relative rates, if any.
    public var capacity: CapacityResult?
    /// Connection options.
    public var options: RunOptions
    /// How many distinct images the payload pool held.
    public var poolSize: Int
    /// The runs, in the order they ran.
    public var entries: [Entry]
    /// Free-form notes for the report (e.g. a missing operator API).
    public var notes: [String]

    /// Creates a report.
    public init(
        scenario: Scenario, capacity: CapacityResult?, options: RunOptions, poolSize: Int, entries: [Entry],
        notes: [String] = []
    ) {
        self.scenario = scenario
        self.capacity = capacity
        self.options = options
        self.poolSize = poolSize
        self.entries = entries
        self.notes = notes
    }

    /// The modes run, in order of first appearance.
    public var modes: [String] {
        var modes: [String] = []
        for entry in entries where !modes.contains(entry.record.mode) { modes.append(entry.record.mode) }
        return modes
    }

    /// Whether this is a sweep (several offered loads).
    public var isSweep: Bool { scenario.sweep != nil }
}
