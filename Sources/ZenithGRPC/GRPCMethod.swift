/// The methods of `inference.GRPCInferenceService` (the KServe v2 gRPC protocol) that Zenith
/// answers, found from a request's `:path`, `/inference.GRPCInferenceService/<Method>`.
package enum GRPCMethod: String, Sendable, CaseIterable {
    case serverLive = "ServerLive"
    case serverReady = "ServerReady"
    case serverMetadata = "ServerMetadata"
    case modelReady = "ModelReady"
    case modelMetadata = "ModelMetadata"
    case modelConfig = "ModelConfig"
    case modelInfer = "ModelInfer"
    case modelStatistics = "ModelStatistics"
    case repositoryIndex = "RepositoryIndex"
    case repositoryModelLoad = "RepositoryModelLoad"
    case repositoryModelUnload = "RepositoryModelUnload"

    package static let service = "inference.GRPCInferenceService"

    /// The method `path` names, or UNIMPLEMENTED naming what was asked for: another service, or a
    /// method of this one Zenith does not serve (streaming, shared memory, trace and log settings).
    package static func match(path: Substring) throws(GRPCStatus) -> GRPCMethod {
        let prefix = "/" + service + "/"
        guard path.hasPrefix(prefix) else {
            throw GRPCStatus(.unimplemented, "unknown service in '\(path.prefix(80))'; Zenith serves \(service)")
        }
        let name = path.dropFirst(prefix.count)
        guard let method = GRPCMethod(rawValue: String(name)) else {
            throw GRPCStatus(.unimplemented, "method \(service)/\(name.prefix(60)) is not implemented")
        }
        return method
    }
}
