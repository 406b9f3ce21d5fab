package import SwiftProtobuf
package import ZenithGRPC
package import ZenithHTTP

extension HTTPResponse {
    /// The content type of every gRPC response (messages are protobuf).
    static let grpcContentType = "application/grpc"

    /// A gRPC call answered with `message`: HEADERS, the framed message in DATA, then trailers
    /// with `grpc-status: 0`.
    package static func grpc(_ message: some SwiftProtobuf.Message) -> HTTPResponse {
        let bytes: [UInt8]
        do {
            bytes = try message.serializedBytes()
        } catch {
            return .grpc(GRPCStatus(.internal, "the response could not be serialised: \(error)"))
        }
        return HTTPResponse(
            status: 200, headers: ["content-type": grpcContentType], body: GRPCFraming.framed(bytes),
            trailers: GRPCStatus(.ok, "").fields)
    }

    /// A gRPC call that ended with `status` and no message: a trailers-only response (one
    /// HEADERS frame with `:status 200`, the content type and the status fields).
    package static func grpc(_ status: GRPCStatus) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["content-type": grpcContentType], trailers: status.fields)
    }
}
