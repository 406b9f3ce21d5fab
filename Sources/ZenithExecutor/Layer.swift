import ZenithCore

/// The shape of one sample's tensor: `[C, H, W]`, a flat `[N]` being `[N, 1, 1]` (both hold
/// their numbers in the same order, and the executor lays them out the same way).
struct TensorShape: Equatable, CustomStringConvertible {
    var channels: Int
    var height: Int
    var width: Int

    static func flat(_ n: Int) -> TensorShape { TensorShape(channels: n, height: 1, width: 1) }

    var spatial: Int { height * width }
    var elementCount: Int { channels * spatial }
    var isFlat: Bool { spatial == 1 }

    var description: String { isFlat ? "[\(channels)]" : "[\(channels), \(height), \(width)]" }
}

/// A convolution with its weights laid out for im2col + GEMM: `weight` is
/// `[out, in/groups * taps]`, where `taps` are the kernel positions that ever read the image.
///
/// A tap that falls in the padding for every output position multiplies only zeros: on small
/// feature maps (a 3x3 "same" convolution of a 1x1 map has one live tap of nine) dropping it at
/// load time saves its share of the weights' memory traffic, which is what such layers cost.
/// Depthwise weights stay whole (`[C, kh * kw]`): their kernel skips out-of-image taps itself.
struct ConvLayer: Sendable {
    var name: String
    var inChannels, outChannels, groups: Int
    var kernelHeight, kernelWidth: Int
    /// Live kernel positions, `ky * kernelWidth + kx`, ascending.
    var taps: [Int]
    var stride: Pair
    var pads: Padding
    var dilation: Pair
    var inHeight, inWidth, outHeight, outWidth: Int
    var activation: ActivationFunction?
    var weight: [Float]
    var bias: [Float]
    /// `[classes, outChannels]`, rows summing to 1, when the model ships one.
    var importance: [Float]?
    /// Winograd-transformed weights `[16][out][in]` when the layer is a 3x3 stride-1 "same" conv.
    var winograd: [Float]?

    var groupInChannels: Int { inChannels / groups }
    var groupOutChannels: Int { outChannels / groups }
    var patchSize: Int { groupInChannels * taps.count }
    var allTapsLive: Bool { taps.count == kernelHeight * kernelWidth }
    var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }
    var denseMultiplyAdds: Int { outChannels * patchSize * outHeight * outWidth }

    /// The square kernel of a convolution whose output is its input's size, stride 1, no
    /// dilation: its im2col rows are shifted copies of whole planes, and 3x3 ones can run Winograd.
    var sameKernel: Int? {
        guard kernelHeight == kernelWidth, kernelHeight % 2 == 1, stride == Pair(1, 1), dilation == Pair(1, 1),
            pads == .uniform(kernelHeight / 2), groups == 1, allTapsLive
        else { return nil }
        return kernelHeight
    }

    /// A 1x1, stride-1, unpadded convolution: a GEMM straight over the stored input.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == Pair(1, 1) && pads == .uniform(0) && groups == 1
    }

    var winogradTiles: Int { ((outHeight + 1) / 2) * ((outWidth + 1) / 2) }
}

/// A fully connected layer. `weight` is `[out, in]` for GEMV/GEMM over a prefix of inputs;
/// `weightInputMajor` is `[in, out]`, so the rows of selected inputs can be gathered.
struct LinearLayer: Sendable {
    var name: String
    var inputs, outputs: Int
    var activation: ActivationFunction?
    var weight: [Float]
    var weightInputMajor: [Float]
    var bias: [Float]
    var importance: [Float]?

    var denseMultiplyAdds: Int { inputs * outputs }
}

struct PoolLayer: Sendable {
    var kernel: Pair
    var stride: Pair
    var pads: Padding
    var countIncludePad: Bool
    var channels: Int
    var inHeight, inWidth, outHeight, outWidth: Int
}

/// What a graph node computes, parameters loaded and shapes resolved.
enum Operation: Sendable {
    case conv(ConvLayer)
    case gemm(LinearLayer)
    case activation(ActivationFunction)
    case add(ActivationFunction?)
    case mul
    case concat
    case maxPool(PoolLayer)
    case averagePool(PoolLayer)
    case globalAveragePool
    case flatten
    case reshape(TensorShape)
    case softmax

    var denseMultiplyAdds: Int {
        switch self {
        case .conv(let c): c.denseMultiplyAdds
        case .gemm(let l): l.denseMultiplyAdds
        default: 0
        }
    }

    /// Ops that treat each channel on its own, so a subset of computed channels passes through.
    var isPerChannel: Bool {
        switch self {
        case .maxPool, .averagePool, .globalAveragePool, .activation, .flatten: true
        case .conv(let c): c.isDepthwise
        default: false
        }
    }
}

/// A node ready to run: inputs and output are tensor indices of the model.
struct GraphNode: Sendable {
    var name: String
    var operation: Operation
    var inputs: [Int]
    var output: Int
    /// The branch this node belongs to, or `nil` for the trunk.
    var branch: Int?
}

/// An early-exit head resolved against the graph.
struct CompiledBranch: Sendable {
    var name: String
    /// The trunk tensor it reads.
    var at: Int
    /// Its logits tensor.
    var output: Int
}
