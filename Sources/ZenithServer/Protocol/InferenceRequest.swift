public import ZenithControl

/// An inference request as the wire described it, checked against the model and decoded into
/// contiguous floats: what the frontend hands to the scheduler.
public struct InferenceRequest: Sendable, Equatable {
    /// The client's `id`, echoed in the response.
    public var id: String?
    /// Samples in the request: the leading (batch) dimension of the input's shape.
    public var batchSize: Int
    /// `batchSize` samples back to back, each as many floats as the model's input holds.
    public var input: [Float]
    /// What to send back, in the order the client asked (every output when it named none).
    public var outputs: [RequestedOutput]
    /// The targets the request asked for, from `parameters` or `zenith-*` headers.
    public var slo: RequestedSLO

    public init(id: String?, batchSize: Int, input: [Float], outputs: [RequestedOutput], slo: RequestedSLO) {
        self.id = id
        self.batchSize = batchSize
        self.input = input
        self.outputs = outputs
        self.slo = slo
    }
}

/// One output a request wants back.
public struct RequestedOutput: Sendable, Equatable {
    /// The model output's name.
    public var name: String
    /// Send the tensor after the JSON header (binary tensor extension) instead of as JSON `data`.
    public var binary: Bool
    /// Send the top-k classes as `BYTES` strings `"score:index:label"` instead of the raw tensor.
    public var classification: Int?

    public init(name: String, binary: Bool = false, classification: Int? = nil) {
        self.name = name
        self.binary = binary
        self.classification = classification
    }
}
