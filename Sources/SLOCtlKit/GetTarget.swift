public import ArgumentParser
public import ZenithJSON

/// `sloctl get-target [MODEL]`: the targets of one model or of all.
public struct GetTarget: OperatorCommand {
    public static let configuration = CommandConfiguration(
        commandName: "get-target", abstract: "Show the default and per-class targets of one model, or of every model.")

    @Argument(help: "The model (default: every model).")
    public var model: String?

    @OptionGroup public var options: OperatorOptions

    public init() {}

    public func validate() throws {
        if let model = self.model, model.isEmpty { throw ValidationError("MODEL must not be empty") }
    }

    public func request() -> OperatorRequest {
        self.model.map(OperatorRequest.getModel) ?? .listModels
    }

    public func render(_ response: JSONValue) throws(OperatorError) -> String {
        self.model == nil ? try SLOReport.targets(list: response) : try SLOReport.targets([response])
    }
}
