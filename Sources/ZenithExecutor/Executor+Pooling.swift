import ZenithCore

/// Max and average pooling over each stored channel (a channel subset passes through).
extension Executor {
    func maxPool(_ pool: PoolLayer, _ act: Activation, into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let (h, w, oh, ow) = (pool.inHeight, pool.inWidth, pool.outHeight, pool.outWidth)
        let plain = pool.pads == .uniform(0)
        for plane in 0..<(act.channels * act.batch) {
            let src = UnsafePointer(source + plane * act.spatial)
            let dst = out + plane * oh * ow
            if plain && pool.kernel == Pair(2, 2) && pool.stride == Pair(2, 2) {
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
                let y0 = oy * pool.stride.height - pool.pads.top
                let (ylo, yhi) = (max(0, y0), min(h, y0 + pool.kernel.height))
                for ox in 0..<ow {
                    let x0 = ox * pool.stride.width - pool.pads.left
                    let (xlo, xhi) = (max(0, x0), min(w, x0 + pool.kernel.width))
                    // Padding never wins: only positions inside the image compete.
                    var best = -Float.infinity
                    for y in ylo..<yhi {
                        for x in xlo..<xhi { best = max(best, src[y * w + x]) }
                    }
                    dst[oy * ow + ox] = best
                }
            }
        }
        return Activation(buffer: target, channels: act.channels, height: oh, width: ow, batch: act.batch, indices: act.indices)
    }

    func averagePool(_ pool: PoolLayer, _ act: Activation, into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let (h, w, oh, ow) = (pool.inHeight, pool.inWidth, pool.outHeight, pool.outWidth)
        for plane in 0..<(act.channels * act.batch) {
            let src = UnsafePointer(source + plane * act.spatial)
            let dst = out + plane * oh * ow
            for oy in 0..<oh {
                let y0 = oy * pool.stride.height - pool.pads.top
                let (ylo, yhi) = (max(0, y0), min(h, y0 + pool.kernel.height))
                // With padding counted, the window is cut only by the padded border (ONNX, PyTorch).
                let paddedRows = min(h + pool.pads.bottom, y0 + pool.kernel.height) - y0
                for ox in 0..<ow {
                    let x0 = ox * pool.stride.width - pool.pads.left
                    let (xlo, xhi) = (max(0, x0), min(w, x0 + pool.kernel.width))
                    var sum: Float = 0
                    for y in ylo..<yhi {
                        for x in xlo..<xhi { sum += src[y * w + x] }
                    }
                    let count = pool.countIncludePad
                        ? paddedRows * (min(w + pool.pads.right, x0 + pool.kernel.width) - x0)
                        : (yhi - ylo) * (xhi - xlo)
                    dst[oy * ow + ox] = sum / Float(max(1, count))
                }
            }
        }
        return Activation(buffer: target, channels: act.channels, height: oh, width: ow, batch: act.batch, indices: act.indices)
    }
}
