/// How request bodies carry the image and how the logits come back.
public enum PayloadEncoding: String, Sendable, Equatable, CaseIterable {
    /// JSON `data` arrays both ways.
    case json
    /// Triton's binary tensor extension for the input, and `binary_data_output` for the logits.
    case binary
    /// The KServe v2 gRPC protocol on the same port: a `ModelInfer` call with the input in
    /// `raw_input_contents`, the logits back in `raw_output_contents` (HTTP/2 only).
    case grpc
}
