/// An activation held in executor scratch memory, channel-major with the batch folded in:
/// element `(c * batch + b) * spatial + p`. A flat activation is the case `spatial == 1`.
///
/// Only the channels that were computed are stored, compacted; `indices` says which original
/// channels they are (`nil`: channels `0..<channels`, which covers an importance prefix).
struct Activation {
    var buffer: Int
    var channels: Int
    var height: Int
    var width: Int
    var batch: Int
    var indices: [Int]? = nil
    /// Set when the producing layer's plan says: feed the consumer only each sample's top k.
    var topk: Int? = nil

    var spatial: Int { height * width }
    var count: Int { channels * batch * spatial }
}
