/// Convolutions: im2col + GEMM (per group), Winograd for 3x3 "same" ones (Winograd.swift),
/// and a direct kernel for depthwise ones, where a GEMM would have one input channel.
extension Executor {
    func convolve(_ conv: ConvLayer, _ act: Activation, into target: Int, filters: [Int]?) -> Activation {
        if conv.isDepthwise { return depthwise(conv, act, into: target) }
        if let transformed = conv.winograd { return winogradConvolve(conv, act, into: target, filters: filters, transformed: transformed) }
        if conv.groups > 1 { return groupedConvolve(conv, act, into: target) }
        let kk = conv.taps.count
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
            if let indices = act.indices {
                // Rows and columns: a few taps per (filter, input channel), copied inline (on small
                // maps a pair is one to nine floats, fewer than a copy call costs).
                for o in 0..<outStored {
                    let row = w.baseAddress! + (filters?[o] ?? o) * conv.inChannels * kk
                    let dst = packed + o * inStored * kk
                    for (j, channel) in indices.enumerated() {
                        let source = row + channel * kk
                        for t in 0..<kk { dst[j * kk + t] = source[t] }
                    }
                }
                weights = UnsafePointer(packed)
                ldw = depth
            } else if let filters {
                // Only output filters: whole rows.
                for (o, row) in filters.enumerated() {
                    (packed + o * depth).update(from: w.baseAddress! + row * depth, count: depth)
                }
                weights = UnsafePointer(packed)
                ldw = depth
            }
            if conv.isPointwise {
                // A 1x1 stride-1 convolution's column matrix is its input, `[C][B * HW]` as stored.
                let n = act.batch * outSpatial
                let input = UnsafePointer(buffers[act.buffer])
                if n == 1 {
                    BLAS.gemv(m: outStored, n: depth, a: weights, lda: ldw, x: input, incx: 1, beta: 0, y: out, incy: 1)
                } else {
                    BLAS.gemm(m: outStored, n: n, k: depth, a: weights, lda: ldw, b: input, ldb: n, beta: 0, c: out, ldc: ldc)
                }
                return
            }
            var first = 0
            while first < act.batch {
                let count = min(chunk, act.batch - first)
                im2col(conv, act, channels: 0..<inStored, samples: first..<(first + count))
                if count * outSpatial == 1 {
                    // One output position: a GEMM would pack the whole weight matrix to use it once.
                    BLAS.gemv(m: outStored, n: depth, a: weights, lda: ldw, x: columns, incx: 1, beta: 0, y: out + first, incy: ldc)
                } else {
                    BLAS.gemm(
                        m: outStored, n: count * outSpatial, k: depth, a: weights, lda: ldw, b: columns, ldb: count * outSpatial,
                        beta: 0, c: out + first * outSpatial, ldc: ldc)
                }
                first += count
            }
        }
        addBias(conv, rows: outStored, filters: filters, out: out, ldc: ldc)
        multiplyAdds += outStored * depth * ldc
        return Activation(buffer: target, channels: outStored, height: conv.outHeight, width: conv.outWidth,
                          batch: act.batch, indices: filters)
    }

    /// Bias and activation over each computed output channel's row of `ldc` values.
    private func addBias(_ conv: ConvLayer, rows: Int, filters: [Int]?, out: UnsafeMutablePointer<Float>, ldc: Int) {
        for o in 0..<rows {
            let bias = conv.bias[filters?[o] ?? o]
            let row = out + o * ldc
            if conv.activation == .relu {
                for i in 0..<ldc { row[i] = max(row[i] + bias, 0) }
            } else {
                for i in 0..<ldc { row[i] += bias }
                conv.activation.apply(row, count: ldc)
            }
        }
    }

    /// A grouped convolution: one im2col + GEMM per group, each writing its own output channels.
    private func groupedConvolve(_ conv: ConvLayer, _ act: Activation, into target: Int) -> Activation {
        let kk = conv.taps.count
        let (inGroup, outGroup) = (conv.groupInChannels, conv.groupOutChannels)
        let outSpatial = conv.outHeight * conv.outWidth
        let depth = inGroup * kk
        let ldc = act.batch * outSpatial
        let chunk = max(1, min(act.batch, Self.columnBudget / max(1, depth * outSpatial)))
        let out = buffers[target]
        conv.weight.withUnsafeBufferPointer { w in
            for g in 0..<conv.groups {
                var first = 0
                while first < act.batch {
                    let count = min(chunk, act.batch - first)
                    im2col(conv, act, channels: (g * inGroup)..<((g + 1) * inGroup), samples: first..<(first + count))
                    BLAS.gemm(
                        m: outGroup, n: count * outSpatial, k: depth, a: w.baseAddress! + g * outGroup * depth, lda: depth,
                        b: columns, ldb: count * outSpatial, beta: 0, c: out + g * outGroup * ldc + first * outSpatial, ldc: ldc)
                    first += count
                }
            }
        }
        addBias(conv, rows: conv.outChannels, filters: nil, out: out, ldc: ldc)
        multiplyAdds += conv.outChannels * depth * ldc
        return Activation(buffer: target, channels: conv.outChannels, height: conv.outHeight, width: conv.outWidth, batch: act.batch)
    }

    /// One filter per channel, computed directly; a channel subset stays a subset (its missing
    /// channels stay zero, Models/FORMAT.md).
    private func depthwise(_ conv: ConvLayer, _ act: Activation, into target: Int) -> Activation {
        if conv.kernelHeight == 3 && conv.kernelWidth == 3 { return depthwise3x3(conv, act, into: target) }
        let (h, w, oh, ow) = (conv.inHeight, conv.inWidth, conv.outHeight, conv.outWidth)
        let (kh, kw) = (conv.kernelHeight, conv.kernelWidth)
        let (sh, sw, dh, dw) = (conv.stride.height, conv.stride.width, conv.dilation.height, conv.dilation.width)
        let (pt, pl) = (conv.pads.top, conv.pads.left)
        let source = UnsafePointer(buffers[act.buffer])
        let out = buffers[target]
        conv.weight.withUnsafeBufferPointer { weights in
            for j in 0..<act.channels {
                let channel = act.indices?[j] ?? j
                let kernel = weights.baseAddress! + channel * kh * kw
                let bias = conv.bias[channel]
                for b in 0..<act.batch {
                    let plane = source + (j * act.batch + b) * h * w
                    let dst = out + (j * act.batch + b) * oh * ow
                    for i in 0..<(oh * ow) { dst[i] = bias }
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let weight = kernel[ky * kw + kx]
                            // Output columns whose input column lies inside the image.
                            let offsetX = kx * dw - pl
                            let lo = min(ow, max(0, (-offsetX + sw - 1) / sw))
                            let hi = max(lo, min(ow, (w - offsetX + sw - 1) / sw))
                            for oy in 0..<oh {
                                let iy = oy * sh - pt + ky * dh
                                guard iy >= 0 && iy < h else { continue }
                                let line = plane + iy * w + offsetX
                                let row = dst + oy * ow
                                if sw == 1 {
                                    for x in lo..<hi { row[x] += weight * line[x] }
                                } else {
                                    for x in lo..<hi { row[x] += weight * line[x * sw] }
                                }
                            }
                        }
                    }
                }
                conv.activation.apply(out + j * act.batch * oh * ow, count: act.batch * oh * ow)
            }
        }
        multiplyAdds += act.channels * kh * kw * oh * ow * act.batch
        return Activation(buffer: target, channels: act.channels, height: oh, width: ow, batch: act.batch, indices: act.indices)
    }

    /// The common depthwise kernel, 3x3: each plane is copied once into a zero-bordered scratch
    /// plane, then every output is its nine products in one pass (no bounds logic per tap, one
    /// store per output). Depthwise planes are small (14x14 down to 1x1 in a 28x28 network), where
    /// the general kernel's per-row setup costs more than its arithmetic.
    private func depthwise3x3(_ conv: ConvLayer, _ act: Activation, into target: Int) -> Activation {
        let (h, w, oh, ow) = (conv.inHeight, conv.inWidth, conv.outHeight, conv.outWidth)
        let (sh, sw, dh, dw) = (conv.stride.height, conv.stride.width, conv.dilation.height, conv.dilation.width)
        let (pt, pl) = (conv.pads.top, conv.pads.left)
        let (ph, pw) = (h + pt + conv.pads.bottom, w + pl + conv.pads.right)
        let source = UnsafePointer(buffers[act.buffer])
        let out = buffers[target]
        let padded = scratch
        padded.update(repeating: 0, count: ph * pw)
        conv.weight.withUnsafeBufferPointer { weights in
            for j in 0..<act.channels {
                let channel = act.indices?[j] ?? j
                let k = weights.baseAddress! + channel * 9
                let (w0, w1, w2, w3, w4) = (k[0], k[1], k[2], k[3], k[4])
                let (w5, w6, w7, w8) = (k[5], k[6], k[7], k[8])
                let bias = conv.bias[channel]
                for b in 0..<act.batch {
                    let plane = source + (j * act.batch + b) * h * w
                    // The border stays zero from the first fill; only the interior changes.
                    for y in 0..<h { (padded + (y + pt) * pw + pl).update(from: plane + y * w, count: w) }
                    let dst = out + (j * act.batch + b) * oh * ow
                    for oy in 0..<oh {
                        let r0 = UnsafePointer(padded + oy * sh * pw)
                        let (r1, r2) = (r0 + dh * pw, r0 + 2 * dh * pw)
                        let row = dst + oy * ow
                        if sw == 1 && dw == 1 {
                            for x in 0..<ow {
                                var s = bias + w0 * r0[x] + w1 * r0[x + 1] + w2 * r0[x + 2]
                                s += w3 * r1[x] + w4 * r1[x + 1] + w5 * r1[x + 2]
                                s += w6 * r2[x] + w7 * r2[x + 1] + w8 * r2[x + 2]
                                row[x] = s
                            }
                        } else {
                            for ox in 0..<ow {
                                let x = ox * sw
                                var s = bias + w0 * r0[x] + w1 * r0[x + dw] + w2 * r0[x + 2 * dw]
                                s += w3 * r1[x] + w4 * r1[x + dw] + w5 * r1[x + 2 * dw]
                                s += w6 * r2[x] + w7 * r2[x + dw] + w8 * r2[x + 2 * dw]
                                row[ox] = s
                            }
                        }
                    }
                }
                conv.activation.apply(out + j * act.batch * oh * ow, count: act.batch * oh * ow)
            }
        }
        multiplyAdds += act.channels * 9 * oh * ow * act.batch
        return Activation(buffer: target, channels: act.channels, height: oh, width: ow, batch: act.batch, indices: act.indices)
    }

    /// Floats of im2col columns per chunk: about 1 MiB, so a chunk stays in L2 for its GEMM.
    static let columnBudget = 256 * 1024

    /// Lays out every patch of `channels` (stored-channel positions) of `samples` as a column:
    /// row `(j - channels.lowerBound) * taps + tap` over the live taps, column `(b - first) * outSpatial + p`.
    private func im2col(_ conv: ConvLayer, _ act: Activation, channels: Range<Int>, samples: Range<Int>) {
        if let k = conv.sameKernel {
            im2colSame(k, conv, act, channels: channels, samples: samples)
            return
        }
        let kw = conv.kernelWidth
        let (h, w, oh, ow) = (conv.inHeight, conv.inWidth, conv.outHeight, conv.outWidth)
        let (sh, sw, dh, dw) = (conv.stride.height, conv.stride.width, conv.dilation.height, conv.dilation.width)
        let (pt, pl) = (conv.pads.top, conv.pads.left)
        let outSpatial = oh * ow
        let n = samples.count * outSpatial
        let source = UnsafePointer(buffers[act.buffer])
        let columns = self.columns
        let taps = conv.taps
        for j in channels {
            for b in samples {
                let plane = source + (j * act.batch + b) * act.spatial
                for (tap, position) in taps.enumerated() {
                    let (ky, kx) = (position / kw, position % kw)
                    do {
                        let dst = columns + ((j - channels.lowerBound) * taps.count + tap) * n + (b - samples.lowerBound) * outSpatial
                        let offsetX = kx * dw - pl
                        let lo = min(ow, max(0, (-offsetX + sw - 1) / sw))
                        let hi = max(lo, min(ow, (w - offsetX + sw - 1) / sw))
                        for oy in 0..<oh {
                            let row = dst + oy * ow
                            let iy = oy * sh - pt + ky * dh
                            if iy < 0 || iy >= h {
                                for x in 0..<ow { row[x] = 0 }
                                continue
                            }
                            for x in 0..<lo { row[x] = 0 }
                            let line = plane + iy * w + offsetX  // in bounds at x * sw for x in lo..<hi
                            if sw == 1 {
                                for x in lo..<hi { row[x] = line[x] }
                            } else {
                                for x in lo..<hi { row[x] = line[x * sw] }
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
    private func im2colSame(_ k: Int, _ conv: ConvLayer, _ act: Activation, channels: Range<Int>, samples: Range<Int>) {
        let (h, w, pad) = (conv.inHeight, conv.inWidth, k / 2)
        let spatial = h * w
        let n = samples.count * spatial
        let source = UnsafePointer(buffers[act.buffer])
        for j in channels {
            for b in samples {
                let plane = source + (j * act.batch + b) * spatial
                for ky in 0..<k {
                    let dy = ky - pad
                    for kx in 0..<k {
                        let dx = kx - pad
                        let dst = columns + (((j - channels.lowerBound) * k + ky) * k + kx) * n + (b - samples.lowerBound) * spatial
                        let shift = dy * w + dx
                        // dst[i] = plane[i + shift] wherever that index is inside the plane.
                        let lo = max(0, -shift)
                        let hi = min(spatial, spatial - shift)
                        if lo > 0 { dst.update(repeating: 0, count: min(lo, spatial)) }
                        if hi > lo { (dst + lo).update(from: plane + lo + shift, count: hi - lo) }
                        if hi < spatial { (dst + max(hi, 0)).update(repeating: 0, count: spatial - max(hi, 0)) }
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
}
