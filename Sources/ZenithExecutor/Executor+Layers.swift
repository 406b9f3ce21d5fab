/// The layer kernels. Each reads `act` and writes its result into buffer `target`.
extension Executor {
    /// im2col + GEMM over the stored input channels, for all filters or the subset `filters`.
    func convolve(_ conv: ConvLayer, _ act: Activation, into target: Int, filters: [Int]?) -> Activation {
        let kk = conv.kernel * conv.kernel
        let inStored = act.channels
        let outStored = filters?.count ?? conv.outChannels
        let outSpatial = conv.outHeight * conv.outWidth
        let n = act.batch * outSpatial
        let depth = inStored * kk

        im2col(conv, act)
        let out = buffers[target]
        // Dense layers use the stored weights in place; subsets repack the rows and columns they need.
        conv.weight.withUnsafeBufferPointer { w in
            if act.indices == nil && filters == nil {
                BLAS.gemm(m: outStored, n: n, k: depth, a: w.baseAddress!, lda: conv.patchSize, b: columns, ldb: n, beta: 0, c: out, ldc: n)
                return
            }
            for o in 0..<outStored {
                let row = filters?[o] ?? o
                for j in 0..<inStored {
                    let channel = act.indices?[j] ?? j
                    (packed + (o * inStored + j) * kk).update(from: w.baseAddress! + (row * conv.inChannels + channel) * kk, count: kk)
                }
            }
            BLAS.gemm(m: outStored, n: n, k: depth, a: packed, lda: depth, b: columns, ldb: n, beta: 0, c: out, ldc: n)
        }
        for o in 0..<outStored {
            let bias = conv.bias[filters?[o] ?? o]
            let row = out + o * n
            if conv.relu {
                for i in 0..<n { row[i] = max(row[i] + bias, 0) }
            } else {
                for i in 0..<n { row[i] += bias }
            }
        }
        multiplyAdds += outStored * depth * n
        return Activation(buffer: target, channels: outStored, height: conv.outHeight, width: conv.outWidth,
                          batch: act.batch, indices: filters)
    }

    /// Lays out every k x k patch as a column: row `(j * k + ky) * k + kx`, column `b * outSpatial + p`.
    private func im2col(_ conv: ConvLayer, _ act: Activation) {
        let k = conv.kernel
        let (h, w, oh, ow) = (conv.inHeight, conv.inWidth, conv.outHeight, conv.outWidth)
        let (stride, pad) = (conv.stride, conv.padding)
        let outSpatial = oh * ow
        let n = act.batch * outSpatial
        let source = buffers[act.buffer]
        for j in 0..<act.channels {
            for b in 0..<act.batch {
                let plane = source + (j * act.batch + b) * act.spatial
                for ky in 0..<k {
                    for kx in 0..<k {
                        let dst = columns + ((j * k + ky) * k + kx) * n + b * outSpatial
                        // Output columns whose input column lies inside the image.
                        let lo = min(ow, max(0, (pad - kx + stride - 1) / stride))
                        let hi = max(lo, min(ow, (w + pad - kx + stride - 1) / stride))
                        for oy in 0..<oh {
                            let row = dst + oy * ow
                            let iy = oy * stride - pad + ky
                            guard iy >= 0 && iy < h else {
                                row.update(repeating: 0, count: ow)
                                continue
                            }
                            row.update(repeating: 0, count: lo)
                            let line = plane + iy * w
                            if stride == 1 {
                                (row + lo).update(from: line + (lo - pad + kx), count: hi - lo)
                            } else {
                                for ox in lo..<hi { row[ox] = line[ox * stride - pad + kx] }
                            }
                            (row + hi).update(repeating: 0, count: ow - hi)
                        }
                    }
                }
            }
        }
    }

    func maxPool(_ pool: PoolLayer, _ act: Activation, into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let (w, oh, ow) = (pool.inWidth, pool.outHeight, pool.outWidth)
        for plane in 0..<(act.channels * act.batch) {
            let src = source + plane * act.spatial
            let dst = out + plane * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity
                    for ky in 0..<pool.kernel {
                        let line = src + (oy * pool.stride + ky) * w + ox * pool.stride
                        for kx in 0..<pool.kernel { best = max(best, line[kx]) }
                    }
                    dst[oy * ow + ox] = best
                }
            }
        }
        var result = act
        result.buffer = target
        result.height = oh
        result.width = ow
        return result
    }

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
                if batch == 1 {
                    BLAS.gemv(m: outputs, n: act.channels, a: w.baseAddress!, lda: layer.inputs, x: input, beta: 1, y: out)
                } else {
                    BLAS.gemm(m: outputs, n: batch, k: act.channels, a: w.baseAddress!, lda: layer.inputs,
                              b: input, ldb: batch, beta: 1, c: out, ldc: batch)
                }
            }
            multiplyAdds += act.channels * outputs * batch
        }
        if layer.relu {
            for i in 0..<(outputs * batch) { out[i] = max(out[i], 0) }
        }
        return Activation(buffer: target, channels: outputs, height: 1, width: 1, batch: batch, topk: topk)
    }
}
