/// Winograd F(2x2, 3x3) for 3x3, stride-1, padding-1 convolutions: each 2x2 output tile costs
/// 16 multiplies per (in, out) channel pair instead of 36, i.e. 2.25x fewer than im2col + GEMM.
///
/// With `U = G g Gᵀ` (weights, once at load), `V = Bᵀ d B` (each 4x4 input tile) and
/// `Y = Aᵀ [U ⊙ V] A`, the 16 element-wise products become 16 GEMMs `M_ξ = U_ξ V_ξ` over
/// channels (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
enum Winograd {
    /// Whether a convolution has the shape the transform handles.
    static func applies(kernel: Int, stride: Int, padding: Int) -> Bool {
        kernel == 3 && stride == 1 && padding == 1
    }

    /// `U[ξ][o][c]` for `weight[o][c][3][3]`.
    static func transformWeights(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let g = Array(weight[((o * inChannels + c) * 9)..<((o * inChannels + c) * 9 + 9)])
                // Gg: 4x3
                var gg = [Float](repeating: 0, count: 12)
                for col in 0..<3 {
                    let (g0, g1, g2) = (g[col], g[3 + col], g[6 + col])
                    gg[col] = g0
                    gg[3 + col] = (g0 + g1 + g2) / 2
                    gg[6 + col] = (g0 - g1 + g2) / 2
                    gg[9 + col] = g2
                }
                // (Gg)Gᵀ: 4x4
                for row in 0..<4 {
                    let (a0, a1, a2) = (gg[row * 3], gg[row * 3 + 1], gg[row * 3 + 2])
                    let values = [a0, (a0 + a1 + a2) / 2, (a0 - a1 + a2) / 2, a2]
                    for col in 0..<4 {
                        u[((row * 4 + col) * outChannels + o) * inChannels + c] = values[col]
                    }
                }
            }
        }
        return u
    }
}

extension Executor {
    /// Floats of transformed inputs plus products per chunk of samples (~2 MiB: stays in L2).
    static let winogradBudget = 512 * 1024

    /// Samples per chunk for a layer, so that its transformed inputs and products fit the budget.
    static func winogradChunk(_ conv: ConvLayer, batch: Int) -> Int {
        let tiles = ((conv.outHeight + 1) / 2) * ((conv.outWidth + 1) / 2)
        return max(1, min(batch, winogradBudget / (16 * (conv.inChannels + conv.outChannels) * tiles)))
    }

    /// A 3x3 stride-1 "same" convolution by Winograd F(2x2, 3x3), for all filters or `filters`.
    func winogradConvolve(_ conv: ConvLayer, _ act: Activation, into target: Int, filters: [Int]?, transformed u: [Float]) -> Activation {
        let (h, w) = (conv.inHeight, conv.inWidth)
        let (tilesY, tilesX) = ((h + 1) / 2, (w + 1) / 2)
        let tiles = tilesY * tilesX
        let inStored = act.channels
        let outStored = filters?.count ?? conv.outChannels
        let out = buffers[target]
        let chunk = Self.winogradChunk(conv, batch: act.batch)
        u.withUnsafeBufferPointer { uBuffer in
            // Subsets gather the rows and columns of each of the 16 weight matrices they need.
            var weights = UnsafePointer(uBuffer.baseAddress!)
            var ldu = conv.inChannels
            var matrixStride = conv.outChannels * conv.inChannels
            if act.indices != nil || filters != nil {
                for xi in 0..<16 {
                    for o in 0..<outStored {
                        let row = uBuffer.baseAddress! + (xi * conv.outChannels + (filters?[o] ?? o)) * conv.inChannels
                        let dst = packed + (xi * outStored + o) * inStored
                        for j in 0..<inStored { dst[j] = row[act.indices?[j] ?? j] }
                    }
                }
                weights = UnsafePointer(packed)
                ldu = inStored
                matrixStride = outStored * inStored
            }
            var first = 0
            while first < act.batch {
                let count = min(chunk, act.batch - first)
                let n = count * tiles
                transformInputTiles(act, samples: first..<(first + count), height: h, width: w)
                for xi in 0..<16 {
                    BLAS.gemm(
                        m: outStored, n: n, k: inStored, a: weights + xi * matrixStride, lda: ldu,
                        b: columns + xi * inStored * n, ldb: n, beta: 0, c: products + xi * outStored * n, ldc: n)
                }
                transformOutputTiles(
                    conv, channels: outStored, filters: filters, samples: first..<(first + count), batch: act.batch,
                    height: h, width: w, into: out)
                first += count
            }
        }
        multiplyAdds += 16 * outStored * inStored * tiles * act.batch
        return Activation(buffer: target, channels: outStored, height: h, width: w, batch: act.batch, indices: filters)
    }

    /// `V[ξ][c][b * tiles + t] = (Bᵀ d B)[ξ]` for every 4x4 input tile `d` (zero-padded by one).
    private func transformInputTiles(_ act: Activation, samples: Range<Int>, height h: Int, width w: Int) {
        let (tilesY, tilesX) = ((h + 1) / 2, (w + 1) / 2)
        let tiles = tilesY * tilesX
        let n = samples.count * tiles
        let source = UnsafePointer(buffers[act.buffer])
        // The plane with a zero border: one row/column before, enough after for whole tiles.
        let paddedWidth = 2 * tilesX + 2
        let paddedHeight = 2 * tilesY + 2
        let padded = scratch
        padded.update(repeating: 0, count: paddedWidth * paddedHeight)
        for c in 0..<act.channels {
            for b in samples {
                let plane = source + (c * act.batch + b) * h * w
                for y in 0..<h {
                    (padded + (y + 1) * paddedWidth + 1).update(from: plane + y * w, count: w)
                }
                let base = columns + c * n + (b - samples.lowerBound) * tiles
                let xiStride = act.channels * n
                for ty in 0..<tilesY {
                    for tx in 0..<tilesX {
                        let d = UnsafePointer(padded + 2 * ty * paddedWidth + 2 * tx)
                        let r0 = d, r1 = d + paddedWidth, r2 = d + 2 * paddedWidth, r3 = d + 3 * paddedWidth
                        // Bᵀ d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3.
                        let t00 = r0[0] - r2[0], t01 = r0[1] - r2[1], t02 = r0[2] - r2[2], t03 = r0[3] - r2[3]
                        let t10 = r1[0] + r2[0], t11 = r1[1] + r2[1], t12 = r1[2] + r2[2], t13 = r1[3] + r2[3]
                        let t20 = r2[0] - r1[0], t21 = r2[1] - r1[1], t22 = r2[2] - r1[2], t23 = r2[3] - r1[3]
                        let t30 = r1[0] - r3[0], t31 = r1[1] - r3[1], t32 = r1[2] - r3[2], t33 = r1[3] - r3[3]
                        // (Bᵀ d) B: the same combination of columns.
                        let out = base + ty * tilesX + tx
                        out[0 * xiStride] = t00 - t02
                        out[1 * xiStride] = t01 + t02
                        out[2 * xiStride] = t02 - t01
                        out[3 * xiStride] = t01 - t03
                        out[4 * xiStride] = t10 - t12
                        out[5 * xiStride] = t11 + t12
                        out[6 * xiStride] = t12 - t11
                        out[7 * xiStride] = t11 - t13
                        out[8 * xiStride] = t20 - t22
                        out[9 * xiStride] = t21 + t22
                        out[10 * xiStride] = t22 - t21
                        out[11 * xiStride] = t21 - t23
                        out[12 * xiStride] = t30 - t32
                        out[13 * xiStride] = t31 + t32
                        out[14 * xiStride] = t32 - t31
                        out[15 * xiStride] = t31 - t33
                    }
                }
            }
        }
    }

    /// `Y = Aᵀ M A` per tile, plus bias and ReLU, into the batch-folded output.
    private func transformOutputTiles(
        _ conv: ConvLayer, channels: Int, filters: [Int]?, samples: Range<Int>, batch: Int,
        height h: Int, width w: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let (tilesY, tilesX) = ((h + 1) / 2, (w + 1) / 2)
        let tiles = tilesY * tilesX
        let n = samples.count * tiles
        let xiStride = channels * n
        for o in 0..<channels {
            let bias = conv.bias[filters?[o] ?? o]
            for b in samples {
                let m = UnsafePointer(products + o * n + (b - samples.lowerBound) * tiles)
                let plane = out + (o * batch + b) * h * w
                for ty in 0..<tilesY {
                    for tx in 0..<tilesX {
                        let p = m + ty * tilesX + tx
                        let m00 = p[0], m01 = p[xiStride], m02 = p[2 * xiStride], m03 = p[3 * xiStride]
                        let m10 = p[4 * xiStride], m11 = p[5 * xiStride], m12 = p[6 * xiStride], m13 = p[7 * xiStride]
                        let m20 = p[8 * xiStride], m21 = p[9 * xiStride], m22 = p[10 * xiStride], m23 = p[11 * xiStride]
                        let m30 = p[12 * xiStride], m31 = p[13 * xiStride], m32 = p[14 * xiStride], m33 = p[15 * xiStride]
                        // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3.
                        let s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23
                        let s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33
                        var y00 = s00 + s01 + s02 + bias, y01 = s01 - s02 - s03 + bias
                        var y10 = s10 + s11 + s12 + bias, y11 = s11 - s12 - s13 + bias
                        if conv.relu {
                            y00 = max(y00, 0); y01 = max(y01, 0); y10 = max(y10, 0); y11 = max(y11, 0)
                        }
                        let (y, x) = (2 * ty, 2 * tx)
                        plane[y * w + x] = y00
                        if x + 1 < w { plane[y * w + x + 1] = y01 }
                        if y + 1 < h {
                            plane[(y + 1) * w + x] = y10
                            if x + 1 < w { plane[(y + 1) * w + x + 1] = y11 }
                        }
                    }
                }
            }
        }
    }
}
