/// The layer kernels. Each reads `act` and writes its result into buffer `target`.
extension Executor {
    /// im2col + GEMM over the stored input channels, for all filters or the subset `filters`.
    ///
    /// Samples go through in chunks whose column matrix fits in L2 (`columnBudget`); each chunk's
    /// GEMM writes straight into the batch-folded output (`ldc` spans the whole batch).
    func convolve(_ conv: ConvLayer, _ act: Activation, into target: Int, filters: [Int]?) -> Activation {
        let kk = conv.kernel * conv.kernel
        let inStored = act.channels
        let outStored = filters?.count ?? conv.outChannels
        let outSpatial = conv.outHeight * conv.outWidth
        let depth = inStored * kk
        let ldc = act.batch * outSpatial
        let chunk = max(1, min(act.batch, Self.columnBudget / max(1, depth * outSpatial)))
        let out = buffers[target]
        conv.weight.withUnsafeBufferPointer { w in
            // Dense layers use the stored weights in place; subsets repack the rows and columns they need.
            var weights = UnsafePointer(w.baseAddress!)
            var ldw = conv.patchSize
            if act.indices != nil || filters != nil {
                for o in 0..<outStored {
                    let row = filters?[o] ?? o
                    for j in 0..<inStored {
                        let channel = act.indices?[j] ?? j
                        (packed + (o * inStored + j) * kk).update(from: w.baseAddress! + (row * conv.inChannels + channel) * kk, count: kk)
                    }
                }
                weights = UnsafePointer(packed)
                ldw = depth
            }
            var first = 0
            while first < act.batch {
                let count = min(chunk, act.batch - first)
                im2col(conv, act, samples: first..<(first + count))
                BLAS.gemm(
                    m: outStored, n: count * outSpatial, k: depth, a: weights, lda: ldw, b: columns, ldb: count * outSpatial,
                    beta: 0, c: out + first * outSpatial, ldc: ldc)
                first += count
            }
        }
        for o in 0..<outStored {
            let bias = conv.bias[filters?[o] ?? o]
            let row = out + o * ldc
            if conv.relu {
                for i in 0..<ldc { row[i] = max(row[i] + bias, 0) }
            } else {
                for i in 0..<ldc { row[i] += bias }
            }
        }
        multiplyAdds += outStored * depth * ldc
        return Activation(buffer: target, channels: outStored, height: conv.outHeight, width: conv.outWidth,
                          batch: act.batch, indices: filters)
    }

    /// Floats of im2col columns per chunk: about 1 MiB, so a chunk stays in L2 for its GEMM.
    static let columnBudget = 256 * 1024

    /// Lays out every k x k patch of `samples` as a column: row `(j * k + ky) * k + kx`,
    /// column `(b - samples.lowerBound) * outSpatial + p`.
    private func im2col(_ conv: ConvLayer, _ act: Activation, samples: Range<Int>) {
        let k = conv.kernel
        let (h, w, oh, ow) = (conv.inHeight, conv.inWidth, conv.outHeight, conv.outWidth)
        let (stride, pad) = (conv.stride, conv.padding)
        let outSpatial = oh * ow
        let n = samples.count * outSpatial
        let source = UnsafePointer(buffers[act.buffer])
        let columns = self.columns
        if stride == 1 && oh == h && ow == w {
            im2colSame(conv, act, samples: samples)
            return
        }
        for j in 0..<act.channels {
            for b in samples {
                let plane = source + (j * act.batch + b) * act.spatial
                for ky in 0..<k {
                    for kx in 0..<k {
                        let dst = columns + ((j * k + ky) * k + kx) * n + (b - samples.lowerBound) * outSpatial
                        // Output columns whose input column lies inside the image.
                        let lo = min(ow, max(0, (pad - kx + stride - 1) / stride))
                        let hi = max(lo, min(ow, (w + pad - kx + stride - 1) / stride))
                        for oy in 0..<oh {
                            let row = dst + oy * ow
                            let iy = oy * stride - pad + ky
                            if iy < 0 || iy >= h {
                                for x in 0..<ow { row[x] = 0 }
                                continue
                            }
                            for x in 0..<lo { row[x] = 0 }
                            let line = plane + iy * w
                            if stride == 1 {
                                let shifted = line + (kx - pad)  // in bounds for x in lo..<hi
                                for x in lo..<hi { row[x] = shifted[x] }
                            } else {
                                for x in lo..<hi { row[x] = line[x * stride - pad + kx] }
                            }
                            for x in hi..<ow { row[x] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// im2col for stride-1 convolutions whose output is the input's size ("same" padding):
    /// each column row is the whole input plane shifted by `dy * w + dx`, so it is one
    /// contiguous copy, then zeroes where the shift crossed the border. Rows of 14 or 28 floats
    /// copied one by one cost more in loop overhead than in bytes.
    private func im2colSame(_ conv: ConvLayer, _ act: Activation, samples: Range<Int>) {
        let (k, h, w, pad) = (conv.kernel, conv.inHeight, conv.inWidth, conv.padding)
        let spatial = h * w
        let n = samples.count * spatial
        let source = UnsafePointer(buffers[act.buffer])
        for j in 0..<act.channels {
            for b in samples {
                let plane = source + (j * act.batch + b) * spatial
                for ky in 0..<k {
                    let dy = ky - pad
                    for kx in 0..<k {
                        let dx = kx - pad
                        let dst = columns + ((j * k + ky) * k + kx) * n + (b - samples.lowerBound) * spatial
                        let shift = dy * w + dx
                        // dst[i] = plane[i + shift] wherever that index is inside the plane.
                        let lo = max(0, -shift)
                        let hi = min(spatial, spatial - shift)
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if hi > lo { (dst + lo).update(from: plane + lo + shift, count: hi - lo) }
                        if hi < spatial { (dst + hi).update(repeating: 0, count: spatial - hi) }
                        // Rows that fell outside the image, and columns that wrapped to the next row.
                        if dy < 0 { dst.update(repeating: 0, count: min(spatial, -dy * w)) }
                        if dy > 0 { (dst + max(0, spatial - dy * w)).update(repeating: 0, count: min(spatial, dy * w)) }
                        if dx != 0 {
                            for y in 0..<h {
                                let row = dst + y * w
                                if dx < 0 {
                                    for x in 0..<min(w, -dx) { row[x] = 0 }
                                } else {
                                    for x in max(0, w - dx)..<w { row[x] = 0 }
                                }
                            }
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
            let src = UnsafePointer(source + plane * act.spatial)
            let dst = out + plane * oh * ow
            if pool.kernel == 2 && pool.stride == 2 {
                // The common case, unrolled: two input rows per output row.
                for oy in 0..<oh {
                    let top = src + 2 * oy * w
                    let bottom = top + w
                    let row = dst + oy * ow
                    for ox in 0..<ow {
                        row[ox] = max(max(top[2 * ox], top[2 * ox + 1]), max(bottom[2 * ox], bottom[2 * ox + 1]))
                    }
                }
                continue
            }
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

    /// Largest batch for which a linear layer runs as one GEMV per sample rather than a GEMM.
    static let gemvBatchLimit = 2

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
                    // OpenBLAS packs the whole weight matrix for a GEMM: for a couple of columns,
                    // strided GEMVs (one pass over the weights each) are faster.
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
        if layer.relu {
            for i in 0..<(outputs * batch) { out[i] = max(out[i], 0) }
        }
        return Activation(buffer: target, channels: outputs, height: 1, width: 1, batch: batch, topk: topk)
    }
}
