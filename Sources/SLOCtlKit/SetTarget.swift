public import ZenithCore
public import ArgumentParser
public import ZenithJSON

/// `sloctl set-target MODEL --latency-ms X --accuracy Y [--class C] [--policy reject|best_effort]`.
public struct SetTarget: OperatorCommand {
    public static let configuration = CommandConfiguration(
        commandName: "set-target",
        abstract: "Change a model's default targets, an SLO class's targets, or the model's infeasible policy.",
        discussion: """
            Only the values given change. With --class, that class's targets change (a new class is \
            created and inherits a missing target from the model default). --policy is per model.
            """)

    @Argument(help: "The model.")
    public var model: String

    // `.unconditional` so that `--latency-ms -3` reaches validate() (and its message) instead of
    // being read as an unknown option.
    @Option(name: .customLong("latency-ms"), parsing: .unconditional, help: ArgumentHelp("Latency target in milliseconds (> 0).", valueName: "ms"))
    public var latencyMs: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Accuracy target, in (0, 1].", valueName: "fraction"))
    public var accuracy: Double?

    @Option(name: .customLong("class"), help: ArgumentHelp("Change this SLO class instead of the model default.", valueName: "name"))
    public var sloClass: String?

    @Option(help: ArgumentHelp("What to do with requests whose targets cannot be met.", valueName: "reject|best_effort"))
    public var policy: InfeasiblePolicy?

    @OptionGroup public var options: OperatorOptions

    public init() {}

    public func validate() throws {
        guard !self.model.isEmpty else { throw ValidationError("MODEL must not be empty") }
        _ = try self.update()
    }

    private func update() throws -> TargetUpdate {
        do {
            return try TargetUpdate(
                latencyMs: self.latencyMs, accuracy: self.accuracy, sloClass: self.sloClass, policy: self.policy)
        } catch {
            throw ValidationError(error.description)
        }
    }

    public func request() -> OperatorRequest {
        // validate() has accepted the values by the time a parsed command runs.
        .update(
            self.model,
            TargetUpdate(unchecked: self.latencyMs, accuracy: self.accuracy, sloClass: self.sloClass, policy: self.policy))
    }

    public func render(_ response: JSONValue) throws(OperatorError) -> String {
        try SLOReport.targets([response])
    }
}
