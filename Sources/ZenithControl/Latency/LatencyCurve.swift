/// Execution time of one plan as a piecewise-linear function of the batch size.
struct LatencyCurve: Sendable, Equatable {
    /// Profiled batch sizes, ascending and distinct, with their times in microseconds.
    private(set) var batches: [Int]
    private(set) var micros: [Double]

    /// - Parameter points: at least one (batch size ≥ 1, positive time).
    init(points: [Int: Double]) {
        let sorted = points.sorted { $0.key < $1.key }
        batches = sorted.map(\.key)
        micros = sorted.map(\.value)
    }

    /// The time for a batch of `batch` requests.
    ///
    /// Between profiled sizes the time is interpolated linearly. Below the smallest profiled size
    /// it is that size's time (a smaller batch is not assumed to be faster than measured). Above the
    /// largest it continues the last segment's slope, or, with a single point, grows in proportion
    /// to the batch: both err on the slow side, which only makes the controller more careful.
    func micros(batch: Int) -> Double {
        guard let lastIndex = batches.indices.last else { return 0 }
        if batch <= batches[0] { return micros[0] }
        if batch >= batches[lastIndex] {
            let excess = Double(batch - batches[lastIndex])
            guard lastIndex > 0 else { return micros[lastIndex] * Double(batch) / Double(batches[lastIndex]) }
            let slope = (micros[lastIndex] - micros[lastIndex - 1]) / Double(batches[lastIndex] - batches[lastIndex - 1])
            return micros[lastIndex] + max(slope, 0) * excess
        }
        // First profiled size above `batch`; the points are few, so a linear scan is fine.
        let upper = batches.firstIndex { $0 > batch }!
        let lower = upper - 1
        let fraction = Double(batch - batches[lower]) / Double(batches[upper] - batches[lower])
        return micros[lower] + (micros[upper] - micros[lower]) * fraction
    }
}
