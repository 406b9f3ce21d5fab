public import ZenithJSON

/// One call of the operator API, independent of the endpoint it goes to.
public struct OperatorRequest: Sendable, Equatable {
    public var method: String
    /// The path below the endpoint's prefix, segments already escaped.
    public var path: String
    public var body: JSONValue?

    public init(method: String, path: String, body: JSONValue? = nil) {
        self.method = method
        self.path = path
        self.body = body
    }

    /// `GET /v2/slo`: every model's targets.
    public static let listModels = OperatorRequest(method: "GET", path: "/v2/slo")
    /// `GET /v2/slo/status`: the last window's figures per model.
    public static let status = OperatorRequest(method: "GET", path: "/v2/slo/status")

    /// `GET /v2/slo/models/{m}`.
    public static func getModel(_ model: String) -> OperatorRequest {
        OperatorRequest(method: "GET", path: "/v2/slo/models/" + escape(model))
    }

    /// `POST /v2/slo/models/{m}` with an `<Update>` body.
    public static func update(_ model: String, _ update: TargetUpdate) -> OperatorRequest {
        OperatorRequest(method: "POST", path: "/v2/slo/models/" + escape(model), body: update.json)
    }

    /// `DELETE /v2/slo/models/{m}/classes/{c}`.
    public static func deleteClass(_ model: String, _ sloClass: String) -> OperatorRequest {
        OperatorRequest(method: "DELETE", path: "/v2/slo/models/" + escape(model) + "/classes/" + escape(sloClass))
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, so a name cannot add
    /// path segments or a query.
    static func escape(_ segment: String) -> String {
        var escaped = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                escaped.unicodeScalars.append("%")
                escaped.unicodeScalars.append(hex[Int(byte >> 4)])
                escaped.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return escaped
    }
}
