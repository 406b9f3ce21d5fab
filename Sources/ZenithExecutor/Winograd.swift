/// Winograd F(2x2, 3x3) for 3x3, stride-1, padding-1 convolutions: each 2x2 output tile costs
/// 16 multiplies per (in, out) channel pair instead of 36, i.e. 2.25x fewer than im2col + GEMM.
///
/// With `U = G g Gᵀ` (weights, once at load), `V = Bᵀ d B` (each 4x4 input tile) and
/// `Y = Aᵀ [U ⊙ V] A`, the 16 element-wise products become 16 GEMMs `M_ξ = U_ξ V_ξ` over
/// channels (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
enum Winograd {
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
    /// Floats of transformed inputs plus products per chunk of samples (1 MiB, so a chunk stays in L2).
    static let winogradBudget = 256 * 1024

    /// Distance in floats between consecutive ξ matrices of `count` floats. A multiple of 4 KiB
    /// would put all 16 streams of a tile transform in one L1 set (12 ways) and thrash it, so the
    /// stride is rounded to 4 KiB and skewed by one cache line.
    static func skewedStride(_ count: Int) -> Int { (count + 1023) / 1024 * 1024 + 16 }

    /// Extra floats the skew can add over 16 matrices.
    static let winogradSkew = 16 * (1024 + 16)

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
                let (vStride, mStride) = (Self.skewedStride(inStored * n), Self.skewedStride(outStored * n))
                transformInputTiles(act, samples: first..<(first + count), height: h, width: w, xiStride: vStride)
                for xi in 0..<16 {
                    BLAS.gemm(
                        m: outStored, n: n, k: inStored, a: weights + xi * matrixStride, lda: ldu,
                        b: columns + xi * vStride, ldb: n, beta: 0, c: products + xi * mStride, ldc: n)
                }
                transformOutputTiles(
                    conv, channels: outStored, filters: filters, samples: first..<(first + count), batch: act.batch,
                    height: h, width: w, xiStride: mStride, into: out)
                first += count
            }
        }
        multiplyAdds += 16 * outStored * inStored * tiles * act.batch
        return Activation(buffer: target, channels: outStored, height: h, width: w, batch: act.batch, indices: filters)
    }

    /// `V[ξ][c][b * tiles + t] = (Bᵀ d B)[ξ]` for every 4x4 input tile `d` (zero-padded by one).
    ///
    /// Per tile row, `Bᵀ d` runs over whole padded rows (shared by overlapping tiles, contiguous),
    /// then `(Bᵀ d) B` per tile writes each ξ's values for the row contiguously: both loops
    /// vectorise, where a tile at a time made 16 scattered scalar stores.
    private func transformInputTiles(_ act: Activation, samples: Range<Int>, height h: Int, width w: Int, xiStride: Int) {
        let (tilesY, tilesX) = ((h + 1) / 2, (w + 1) / 2)
        let tiles = tilesY * tilesX
        let n = samples.count * tiles
        let source = UnsafePointer(buffers[act.buffer])
        // The plane with a zero border: one row/column before, enough after for whole tiles.
        let paddedWidth = 2 * tilesX + 2
        let paddedHeight = 2 * tilesY + 2
        let padded = scratch
        let rows = scratch + paddedWidth * paddedHeight  // Bᵀ d for one tile row: 4 x paddedWidth
        padded.update(repeating: 0, count: paddedWidth * paddedHeight)
        for c in 0..<act.channels {
            for b in samples {
                let plane = source + (c * act.batch + b) * h * w
                for y in 0..<h {
                    let (from, to) = (plane + y &* w, padded + ((y &+ 1) &* paddedWidth &+ 1))
                    for x in 0..<w { to[x] = from[x] }  // rows of 7-28 floats: a loop beats a memcpy call
                }
                let base = columns + c * n + (b - samples.lowerBound) * tiles
                for ty in 0..<tilesY {
                    let r0 = UnsafePointer(padded + 2 * ty * paddedWidth)
                    let (r1, r2, r3) = (r0 + paddedWidth, r0 + 2 * paddedWidth, r0 + 3 * paddedWidth)
                    let (t0, t1, t2, t3) = (rows, rows + paddedWidth, rows + 2 * paddedWidth, rows + 3 * paddedWidth)
                    // Bᵀ d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3.
                    for x in 0..<paddedWidth {
                        t0[x] = r0[x] - r2[x]
                        t1[x] = r1[x] + r2[x]
                        t2[x] = r2[x] - r1[x]
                        t3[x] = r1[x] - r3[x]
                    }
                    // (Bᵀ d) B: the same combination of columns, for each of the four rows.
                    for i in 0..<4 {
                        let t = UnsafePointer(rows + i * paddedWidth)
                        let o0 = base + (4 * i) * xiStride + ty * tilesX
                        let (o1, o2, o3) = (o0 + xiStride, o0 + 2 * xiStride, o0 + 3 * xiStride)
                        // Wrapping index arithmetic: overflow checks here would stop vectorisation.
                        for tx in 0..<tilesX {
                            let x = tx &* 2
                            let (a, b, c, d) = (t[x], t[x &+ 1], t[x &+ 2], t[x &+ 3])
                            o0[tx] = a - c
                            o1[tx] = b + c
                            o2[tx] = c - b
                            o3[tx] = b - d
                        }
                    }
                }
            }
        }
    }

    /// `Y = Aᵀ M A` per tile, plus bias and activation, into the batch-folded output.
    ///
    /// First over all tiles of a plane, reading the 16 products contiguously (vectorises), into
    /// the four output positions of each tile; then those are scattered into the plane.
    private func transformOutputTiles(
        _ conv: ConvLayer, channels: Int, filters: [Int]?, samples: Range<Int>, batch: Int,
        height h: Int, width w: Int, xiStride: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let (tilesY, tilesX) = ((h + 1) / 2, (w + 1) / 2)
        let tiles = tilesY * tilesX
        let n = samples.count * tiles
        let (y00, y01, y10, y11) = (vector, vector + tiles, vector + 2 * tiles, vector + 3 * tiles)
        let activation = conv.activation
        for o in 0..<channels {
            let bias = conv.bias[filters?[o] ?? o]
            for b in samples {
                let m = UnsafePointer(products + o * n + (b - samples.lowerBound) * tiles)
                let (q0, q1, q2, q3) = (m, m + xiStride, m + 2 * xiStride, m + 3 * xiStride)
                let (q4, q5, q6, q7) = (m + 4 * xiStride, m + 5 * xiStride, m + 6 * xiStride, m + 7 * xiStride)
                let (q8, q9, q10, q11) = (m + 8 * xiStride, m + 9 * xiStride, m + 10 * xiStride, m + 11 * xiStride)
                let (q12, q13, q14, q15) = (m + 12 * xiStride, m + 13 * xiStride, m + 14 * xiStride, m + 15 * xiStride)
                for t in 0..<tiles {
                    let m00 = q0[t], m01 = q1[t], m02 = q2[t], m03 = q3[t]
                    let m10 = q4[t], m11 = q5[t], m12 = q6[t], m13 = q7[t]
                    let m20 = q8[t], m21 = q9[t], m22 = q10[t], m23 = q11[t]
                    let m30 = q12[t], m31 = q13[t], m32 = q14[t], m33 = q15[t]
                    // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3; then the same over columns.
                    let s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23
                    let s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33
                    y00[t] = s00 + s01 + s02 + bias
                    y01[t] = s01 - s02 - s03 + bias
                    y10[t] = s10 + s11 + s12 + bias
                    y11[t] = s11 - s12 - s13 + bias
                }
                activation.apply(vector, count: 4 * tiles)
                let plane = out + (o * batch + b) * h * w
                for ty in 0..<tilesY {
                    let top = plane + 2 * ty * w
                    let row = ty * tilesX
                    // Odd sizes: the last tile column or row hangs over the edge.
                    let fullX = w / 2
                    for tx in 0..<fullX {
                        top[tx &* 2] = y00[row &+ tx]
                        top[tx &* 2 &+ 1] = y01[row &+ tx]
                    }
                    if fullX < tilesX { top[2 * fullX] = y00[row + fullX] }
                    guard 2 * ty + 1 < h else { continue }
                    let bottom = top + w
                    for tx in 0..<fullX {
                        bottom[tx &* 2] = y10[row &+ tx]
                        bottom[tx &* 2 &+ 1] = y11[row &+ tx]
                    }
                    if fullX < tilesX { bottom[2 * fullX] = y10[row + fullX] }
                }
            }
        }
    }
}
