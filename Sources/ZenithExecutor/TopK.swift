/// Per-input dynamic selection (slo-nns): which activations feed the next layer.
enum TopK {
    /// Writes to `indices` the positions of the `k` largest of `count` values read with
    /// `stride`, ties to the lower position, leaving out exact zeros (they add nothing to the
    /// next layer). Returns how many positions were written, in ascending order.
    ///
    /// - Parameter scratch: room for `count` floats.
    static func select(
        _ values: UnsafePointer<Float>, count: Int, stride: Int, k: Int,
        scratch: UnsafeMutablePointer<Float>, into indices: UnsafeMutablePointer<Int32>
    ) -> Int {
        var positives = 0
        var negatives = 0
        for i in 0..<count {
            let v = values[i * stride]
            if v > 0 { positives += 1 } else if v < 0 { negatives += 1 }
        }
        // After a ReLU most activations are zero; when the non-zeros fit in k, they are the answer.
        if k >= count || (negatives == 0 && positives <= k) {
            var written = 0
            for i in 0..<count where values[i * stride] != 0 {
                indices[written] = Int32(i)
                written += 1
            }
            return written
        }
        for i in 0..<count { scratch[i] = values[i * stride] }
        let threshold = kthLargest(scratch, count: count, k: k)
        var above = 0
        for i in 0..<count where values[i * stride] > threshold { above += 1 }
        var tiesAllowed = k - above
        var written = 0
        for i in 0..<count {
            let v = values[i * stride]
            let take: Bool
            if v > threshold {
                take = true
            } else if v == threshold && tiesAllowed > 0 {
                tiesAllowed -= 1
                take = true
            } else {
                take = false
            }
            if take && v != 0 {
                indices[written] = Int32(i)
                written += 1
            }
        }
        return written
    }

    /// The k-th largest of `count` values (1-based k), by quickselect; reorders `values`.
    static func kthLargest(_ values: UnsafeMutablePointer<Float>, count: Int, k: Int) -> Float {
        var lo = 0
        var hi = count - 1
        let target = k - 1  // position in descending order
        while lo < hi {
            let pivot = values[lo + (hi - lo) / 2]
            var i = lo
            var j = hi
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j {
                hi = j
            } else if target >= i {
                lo = i
            } else {
                return values[target]
            }
        }
        return values[target]
    }

    /// Safe form for tests and tools: the selected indices of `values`.
    static func select(_ values: [Float], k: Int) -> [Int] {
        var scratch = [Float](repeating: 0, count: values.count)
        var indices = [Int32](repeating: 0, count: values.count)
        let n = values.withUnsafeBufferPointer { v in
            scratch.withUnsafeMutableBufferPointer { s in
                indices.withUnsafeMutableBufferPointer { out in
                    select(v.baseAddress!, count: values.count, stride: 1, k: k, scratch: s.baseAddress!, into: out.baseAddress!)
                }
            }
        }
        return indices[0..<n].map { Int($0) }
    }
}

extension UnsafeMutablePointer {
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
