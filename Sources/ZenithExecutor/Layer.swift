/// The shape of one sample's activation between layers.
enum ActivationShape: Equatable, CustomStringConvertible {
    case spatial(channels: Int, height: Int, width: Int)
    case flat(Int)

    var elementCount: Int {
        switch self {
        case .spatial(let c, let h, let w): c * h * w
        case .flat(let n): n
        }
    }

    var description: String {
        switch self {
        case .spatial(let c, let h, let w): "[\(c), \(h), \(w)]"
        case .flat(let n): "[\(n)]"
        }
    }
}

/// A convolution with its weights laid out for im2col + GEMM: `weight` is `[out, in*k*k]`.
struct ConvLayer: Sendable {
    var name: String
    var inChannels, outChannels, kernel, stride, padding: Int
    var inHeight, inWidth, outHeight, outWidth: Int
    var relu: Bool
    var weight: [Float]
    var bias: [Float]
    /// `[classes, outChannels]`, rows summing to 1, when the model ships one.
    var importance: [Float]?
    /// Winograd-transformed weights `[16][out][in]` when the layer is a 3x3 stride-1 "same" conv.
    var winograd: [Float]?

    var patchSize: Int { inChannels * kernel * kernel }
    var denseMultiplyAdds: Int { outChannels * patchSize * outHeight * outWidth }

    var winogradTiles: Int { ((outHeight + 1) / 2) * ((outWidth + 1) / 2) }
}

/// A fully connected layer. `weight` is `[out, in]` for GEMV/GEMM over a prefix of inputs;
/// `weightInputMajor` is `[in, out]`, so the rows of selected inputs can be gathered.
struct LinearLayer: Sendable {
    var name: String
    var inputs, outputs: Int
    var relu: Bool
    var weight: [Float]
    var weightInputMajor: [Float]
    var bias: [Float]
    var importance: [Float]?

    var denseMultiplyAdds: Int { inputs * outputs }
}

struct PoolLayer: Sendable {
    var kernel, stride, channels: Int
    var inHeight, inWidth, outHeight, outWidth: Int
}

/// A layer ready to run: parameters loaded and shapes resolved.
enum Layer: Sendable {
    case conv(ConvLayer)
    case maxPool(PoolLayer)
    case globalAveragePool(channels: Int, spatial: Int)
    case flatten(channels: Int, spatial: Int)
    case linear(LinearLayer)

    var name: String? {
        switch self {
        case .conv(let c): c.name
        case .linear(let l): l.name
        default: nil
        }
    }

    var denseMultiplyAdds: Int {
        switch self {
        case .conv(let c): c.denseMultiplyAdds
        case .linear(let l): l.denseMultiplyAdds
        default: 0
        }
    }
}
