import Foundation
import ZenithCore

/// Ops that combine or reshape tensors without weights.
extension Executor {
    func activation(_ f: ActivationFunction, _ act: Activation, into target: Int) -> Activation {
        let out = buffers[target]
        out.update(from: buffers[act.buffer], count: act.count)
        f.apply(out, count: act.count)
        var result = act
        result.buffer = target
        result.topk = nil
        return result
    }

    func add(_ a: Activation, _ b: Activation, activation: ActivationFunction?, into target: Int) -> Activation {
        let (x, y, out) = (buffers[a.buffer], buffers[b.buffer], buffers[target])
        for i in 0..<a.count { out[i] = x[i] + y[i] }
        activation.apply(out, count: a.count)
        return Activation(buffer: target, channels: a.channels, height: a.height, width: a.width, batch: a.batch)
    }

    /// Element-wise product; a flat second operand with one value per channel scales each
    /// channel's plane (squeeze-and-excitation).
    func multiply(_ a: Activation, _ b: Activation, into target: Int) -> Activation {
        let (x, y, out) = (buffers[a.buffer], buffers[b.buffer], buffers[target])
        if b.spatial == a.spatial {
            for i in 0..<a.count { out[i] = x[i] * y[i] }
        } else {
            let spatial = a.spatial
            for plane in 0..<(a.channels * a.batch) {
                let scale = y[plane]
                for p in 0..<spatial { out[plane * spatial + p] = x[plane * spatial + p] * scale }
            }
        }
        return Activation(buffer: target, channels: a.channels, height: a.height, width: a.width, batch: a.batch)
    }

    /// Along channels: with channels outermost, each input is one contiguous block of the output.
    func concat(_ inputs: [Activation], into target: Int) -> Activation {
        var offset = 0
        let out = buffers[target]
        for act in inputs {
            (out + offset).update(from: buffers[act.buffer], count: act.count)
            offset += act.count
        }
        let first = inputs[0]
        return Activation(
            buffer: target, channels: inputs.reduce(0) { $0 + $1.channels }, height: first.height, width: first.width,
            batch: first.batch)
    }

    /// Row-major per sample, as ONNX Reshape: value `f` of a sample moves from channel `f / S`
    /// to channel `f / S'`.
    func reshape(_ act: Activation, to shape: TensorShape, into target: Int) -> Activation {
        let (source, out) = (buffers[act.buffer], buffers[target])
        let (s, s2, batch) = (act.spatial, shape.spatial, act.batch)
        for b in 0..<batch {
            for f in 0..<(act.channels * s) {
                out[(f / s2 * batch + b) * s2 + f % s2] = source[(f / s * batch + b) * s + f % s]
            }
        }
        return Activation(buffer: target, channels: shape.channels, height: shape.height, width: shape.width, batch: batch)
    }

    /// Over each sample's features (stored feature-major, `[N][B]`).
    func softmax(_ act: Activation, into target: Int) -> Activation {
        let (source, out) = (buffers[act.buffer], buffers[target])
        let (n, batch) = (act.channels, act.batch)
        for b in 0..<batch {
            var top = -Float.infinity
            for i in 0..<n { top = max(top, source[i * batch + b]) }
            var sum: Float = 0
            for i in 0..<n {
                let e = expf(source[i * batch + b] - top)
                out[i * batch + b] = e
                sum += e
            }
            for i in 0..<n { out[i * batch + b] /= sum }
        }
        return Activation(buffer: target, channels: n, height: 1, width: 1, batch: batch)
    }
}
