/// A named input or output of a model, per sample (the batch dimension is not included).
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var datatype: DataType
    public var dims: [Int]

    public init(name: String, datatype: DataType, dims: [Int]) {
        self.name = name
        self.datatype = datatype
        self.dims = dims
    }

    /// Elements per sample.
    public var elementCount: Int { dims.reduce(1, *) }
}
