public import ArgumentParser
public import ZenithJSON

/// `sloctl delete-class MODEL CLASS`.
public struct DeleteClass: OperatorCommand {
    public static let configuration = CommandConfiguration(
        commandName: "delete-class", abstract: "Remove an SLO class from a model; its requests fall back to the model default.")

    @Argument(help: "The model.")
    public var model: String

    @Argument(help: ArgumentHelp("The SLO class.", valueName: "class"))
    public var sloClass: String

    @OptionGroup public var options: OperatorOptions

    public init() {}

    public func validate() throws {
        guard !self.model.isEmpty else { throw ValidationError("MODEL must not be empty") }
        guard !self.sloClass.allSatisfy(\.isWhitespace) else { throw ValidationError("CLASS must not be empty") }
    }

    public func request() -> OperatorRequest {
        .deleteClass(self.model, self.sloClass)
    }

    public func render(_ response: JSONValue) throws(OperatorError) -> String {
        try SLOReport.targets([response])
    }
}
