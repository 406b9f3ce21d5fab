import ArgumentParser

/// How `zenith-load` talks to the server: `--protocol rest` or `--protocol grpc`.
enum WireProtocol: String, ExpressibleByArgument, CaseIterable {
    /// The Open Inference Protocol over REST, with the scenario's (or `--encoding`'s) payloads.
    case rest
    /// The KServe v2 gRPC protocol on the same port (HTTP/2): `ModelInfer` calls.
    case grpc
}
