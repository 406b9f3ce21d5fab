/// How request bodies carry the image and how the logits come back.
public enum PayloadEncoding: String, Sendable, Equatable, CaseIterable {
    /// JSON `data` arrays both ways.
    case json
    /// Triton's binary tensor extension for the input, and `binary_data_output` for the logits.
    case binary
}
