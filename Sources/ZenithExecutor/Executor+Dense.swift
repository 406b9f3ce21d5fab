/// The dense-layer kernels. Each reads `act` and writes its result into buffer `target`.
extension Executor {
    func globalAveragePool(_ act: Activation, into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let scale = 1 / Float(act.spatial)
        for plane in 0..<(act.channels * act.batch) {
            var sum: Float = 0
            for p in 0..<act.spatial { sum += source[plane * act.spatial + p] }
            out[plane] = sum * scale
        }
        var result = act
        result.buffer = target
        result.height = 1
        result.width = 1
        return result
    }

    /// `[C][B][HW]` to `[C*HW][B]`, feature `c * HW + p` as torch.flatten orders it.
    func flatten(_ act: Activation, into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let spatial = act.spatial
        for j in 0..<act.channels {
            for b in 0..<act.batch {
                for p in 0..<spatial {
                    out[(j * spatial + p) * act.batch + b] = source[(j * act.batch + b) * spatial + p]
                }
            }
        }
        let indices = act.indices.map { channels in channels.flatMap { c in (0..<spatial).map { c * spatial + $0 } } }
        return Activation(buffer: target, channels: act.channels * spatial, height: 1, width: 1, batch: act.batch, indices: indices)
    }

    /// Largest batch for which a linear layer runs as one GEMV per sample rather than a GEMM:
    /// OpenBLAS's GEMM copies the weights into its packed layout on every call, which up to
    /// about four samples costs more than reading them once per sample (`zenith profile`).
    static let gemvBatchLimit = 4

    /// A linear layer over the stored inputs: a prefix (GEMV/GEMM in place), a channel subset
    /// (gathered input-major rows), or each sample's top-k (gathered rows, per sample).
    func fullyConnected(_ layer: LinearLayer, _ act: Activation, into target: Int, keep: Int?, topk: Int?) -> Activation {
        let outputs = keep ?? layer.outputs
        let batch = act.batch
        let out = buffers[target]
        layer.bias.withUnsafeBufferPointer { bias in
            for o in 0..<outputs {
                (out + o * batch).update(repeating: bias[o], count: batch)
            }
        }
        let input = UnsafePointer(buffers[act.buffer])
        if let k = act.topk {
            layer.weightInputMajor.withUnsafeBufferPointer { wt in
                for b in 0..<batch {
                    let chosen = TopK.select(input + b, count: act.channels, stride: batch, k: k, scratch: scratch, into: selection)
                    let accumulator = batch == 1 ? out : vector
                    if batch > 1 { accumulator.update(repeating: 0, count: outputs) }
                    for s in 0..<chosen {
                        let j = Int(selection[s])
                        BLAS.axpy(n: outputs, alpha: input[j * batch + b], x: wt.baseAddress! + j * layer.outputs, y: accumulator)
                    }
                    if batch > 1 {
                        for o in 0..<outputs { out[o * batch + b] += vector[o] }
                    }
                    multiplyAdds += chosen * outputs
                }
            }
        } else if let indices = act.indices {
            layer.weightInputMajor.withUnsafeBufferPointer { wt in
                for (j, feature) in indices.enumerated() {
                    (packed + j * outputs).update(from: wt.baseAddress! + feature * layer.outputs, count: outputs)
                }
            }
            if batch == 1 {
                BLAS.gemv(trans: true, m: indices.count, n: outputs, a: packed, lda: outputs, x: input, beta: 1, y: out)
            } else {
                BLAS.gemm(transA: true, m: outputs, n: batch, k: indices.count, a: packed, lda: outputs,
                          b: input, ldb: batch, beta: 1, c: out, ldc: batch)
            }
            multiplyAdds += indices.count * outputs * batch
        } else {
            // Inputs are a prefix 0..<act.channels: the leading block of the row-major weights.
            layer.weight.withUnsafeBufferPointer { w in
                if batch <= Self.gemvBatchLimit {
                    // Strided GEMVs, one pass over the weights each (see `gemvBatchLimit`).
                    for b in 0..<batch {
                        BLAS.gemv(m: outputs, n: act.channels, a: w.baseAddress!, lda: layer.inputs, x: input + b, incx: batch,
                                  beta: 1, y: out + b, incy: batch)
                    }
                } else {
                    BLAS.gemm(m: outputs, n: batch, k: act.channels, a: w.baseAddress!, lda: layer.inputs,
                              b: input, ldb: batch, beta: 1, c: out, ldc: batch)
                }
            }
            multiplyAdds += act.channels * outputs * batch
        }
        layer.activation.apply(out, count: outputs * batch)
        return Activation(buffer: target, channels: outputs, height: 1, width: 1, batch: batch, topk: topk)
    }
}
