package import ZenithJSON

/// gRPC's request and response `parameters` as the JSON values REST carries, so the server reads
/// and writes them with REST's code and a client sets them as it would in a JSON request.
extension Inference_InferParameter {
    /// The parameter as the JSON value REST would carry; `nil` when no choice is set.
    package var jsonValue: JSONValue? {
        switch parameterChoice {
        case .boolParam(let value): .bool(value)
        case .int64Param(let value): .int(value)
        case .uint64Param(let value): .int(Int64(clamping: value))
        case .doubleParam(let value): .double(value)
        case .stringParam(let value): .string(value)
        case nil: nil
        }
    }

    /// The parameter carrying `value`. Arrays become their elements joined with commas (a
    /// parameter holds one scalar); `null` and objects have no parameter.
    package init?(_ value: JSONValue) {
        self.init()
        switch value {
        case .bool(let bool): parameterChoice = .boolParam(bool)
        case .int(let int): parameterChoice = .int64Param(int)
        case .double(let double): parameterChoice = .doubleParam(double)
        case .string(let string): parameterChoice = .stringParam(string)
        case .array(let elements):
            parameterChoice = .stringParam(
                elements.map { element in
                    switch element {
                    case .string(let string): string
                    case .int(let int): String(int)
                    case .double(let double): String(double)
                    case .bool(let bool): String(bool)
                    default: ""
                    }
                }.joined(separator: ","))
        case .null, .object: return nil
        }
    }

    /// The parameter as an integer, for `classification`; `nil` when it holds no integer.
    package var int64Value: Int64? {
        switch parameterChoice {
        case .int64Param(let value): value
        case .uint64Param(let value): Int64(exactly: value)
        default: nil
        }
    }
}
