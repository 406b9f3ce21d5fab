public import ArgumentParser
public import ZenithJSON

/// `sloctl models`: the loaded models with their mode, default targets and best accuracy.
public struct Models: OperatorCommand {
    public static let configuration = CommandConfiguration(
        abstract: "List the models with their mode, default targets, policy, best accuracy and classes.")

    @OptionGroup public var options: OperatorOptions

    public init() {}

    public func request() -> OperatorRequest { .listModels }

    public func render(_ response: JSONValue) throws(OperatorError) -> String {
        try SLOReport.models(response)
    }
}
