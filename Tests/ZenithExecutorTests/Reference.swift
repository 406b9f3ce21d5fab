/// A deliberately naive, per-sample implementation of Models/FORMAT.md, written apart from
/// the executor (direct loops, masks instead of compaction) to check it against.
enum Reference {
    struct Tensor {
        var values: [Float]
        var c: Int, h: Int, w: Int
    }

    static func conv(_ x: Tensor, weight: [Float], bias: [Float], out: Int, k: Int, stride: Int, pad: Int, relu: Bool) -> Tensor {
        let oh = (x.h + 2 * pad - k) / stride + 1
        let ow = (x.w + 2 * pad - k) / stride + 1
        var y = [Float](repeating: 0, count: out * oh * ow)
        for o in 0..<out {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum = bias[o]
                    for c in 0..<x.c {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * stride - pad + ky
                                let ix = ox * stride - pad + kx
                                guard iy >= 0, iy < x.h, ix >= 0, ix < x.w else { continue }
                                sum += weight[((o * x.c + c) * k + ky) * k + kx] * x.values[(c * x.h + iy) * x.w + ix]
                            }
                        }
                    }
                    y[(o * oh + oy) * ow + ox] = relu ? max(sum, 0) : sum
                }
            }
        }
        return Tensor(values: y, c: out, h: oh, w: ow)
    }

    static func maxPool(_ x: Tensor, k: Int, stride: Int) -> Tensor {
        let oh = (x.h - k) / stride + 1
        let ow = (x.w - k) / stride + 1
        var y: [Float] = []
        for c in 0..<x.c {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity
                    for ky in 0..<k { for kx in 0..<k { best = max(best, x.values[(c * x.h + oy * stride + ky) * x.w + ox * stride + kx]) } }
                    y.append(best)
                }
            }
        }
        return Tensor(values: y, c: x.c, h: oh, w: ow)
    }

    static func globalAveragePool(_ x: Tensor) -> [Float] {
        (0..<x.c).map { c in x.values[(c * x.h * x.w)..<((c + 1) * x.h * x.w)].reduce(0, +) / Float(x.h * x.w) }
    }

    static func linear(_ x: [Float], weight: [Float], bias: [Float], out: Int, relu: Bool) -> [Float] {
        (0..<out).map { o in
            var sum = bias[o]
            for j in x.indices { sum += weight[o * x.count + j] * x[j] }
            return relu ? max(sum, 0) : sum
        }
    }

    /// Zeroes every channel not in `kept`.
    static func mask(_ x: Tensor, keeping kept: Set<Int>) -> Tensor {
        var y = x
        for c in 0..<x.c where !kept.contains(c) {
            for i in 0..<(x.h * x.w) { y.values[c * x.h * x.w + i] = 0 }
        }
        return y
    }

    /// Keeps the k largest entries (ties to the lower index), zeroing the rest.
    static func keepTopK(_ x: [Float], _ k: Int) -> [Float] {
        let order = x.indices.sorted { x[$0] != x[$1] ? x[$0] > x[$1] : $0 < $1 }
        let kept = Set(order.prefix(k))
        return x.indices.map { kept.contains($0) ? x[$0] : 0 }
    }

    static func softmaxMax(_ logits: [Float]) -> Double {
        let top = Double(logits.max()!)
        return 1 / logits.reduce(0.0) { $0 + exp(Double($1) - top) }
    }

    /// FORMAT.md's filter rule, restated: union of per-class top filters, cut to `cap` by summed importance.
    static func filters(table: [Float], units: Int, classes: [Int], perClass: Int, cap: Int) -> Set<Int> {
        var union = Set<Int>()
        for c in classes {
            let row = Array(table[(c * units)..<((c + 1) * units)])
            union.formUnion(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(perClass))
        }
        if union.count <= cap { return union }
        func score(_ f: Int) -> Double { classes.reduce(0.0) { $0 + Double(table[$1 * units + f]) } }
        return Set(union.sorted { score($0) != score($1) ? score($0) > score($1) : $0 < $1 }.prefix(cap))
    }
}

#if canImport(Glibc)
import Glibc
#endif
