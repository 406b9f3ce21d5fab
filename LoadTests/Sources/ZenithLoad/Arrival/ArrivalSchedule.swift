/// Turns an arrival process and a rate into send offsets (seconds from the start of the run).
///
/// Every process is a sequence of segments of constant rate; within a segment the gaps are
/// either even or exponential (Poisson). Poisson's memorylessness makes restarting the gap at a
/// segment boundary exact; even spacing restarts its phase there.
public enum ArrivalSchedule {
    /// The send offsets of `process` at `rate` for `duration` seconds, sorted.
    ///
    /// - Parameters:
    ///   - process: the arrival process.
    ///   - rate: requests per second (multiplied by the steps' and bursts' multiples).
    ///   - duration: seconds; offsets lie in `[0, duration)`. A trace is cut there too.
    ///   - generator: the source of randomness (Poisson gaps).
    public static func offsets(
        _ process: ArrivalProcess, rate: Double, duration: Double, generator: inout SeededGenerator
    ) -> [Double] {
        switch process {
        case .trace(let offsets):
            return offsets.filter { $0 < duration }
        case .constant:
            return fill(segments: [(0, duration, rate)], poisson: false, generator: &generator)
        case .poisson:
            return fill(segments: [(0, duration, rate)], poisson: true, generator: &generator)
        case .step(let steps, let poisson):
            var segments: [(Double, Double, Double)] = []
            // Before the first step the base rate applies.
            let first = steps.first?.atSeconds ?? duration
            if first > 0 { segments.append((0, min(first, duration), rate)) }
            for (index, step) in steps.enumerated() where step.atSeconds < duration {
                let end = index + 1 < steps.count ? min(steps[index + 1].atSeconds, duration) : duration
                segments.append((step.atSeconds, end, rate * step.multiple))
            }
            return fill(segments: segments, poisson: poisson, generator: &generator)
        case .burst(let period, let burst, let multiple, let poisson):
            var segments: [(Double, Double, Double)] = []
            var start = 0.0
            while start < duration {
                segments.append((start, min(start + burst, duration), rate * multiple))
                if start + burst < duration { segments.append((start + burst, min(start + period, duration), rate)) }
                start += period
            }
            return fill(segments: segments, poisson: poisson, generator: &generator)
        }
    }

    /// The offered rate of `process` at `seconds` (for reports and plots).
    public static func rate(of process: ArrivalProcess, base rate: Double, at seconds: Double) -> Double {
        switch process {
        case .constant, .poisson, .trace: return rate
        case .step(let steps, _):
            let multiple = steps.last(where: { $0.atSeconds <= seconds })?.multiple ?? 1
            return rate * multiple
        case .burst(let period, let burst, let multiple, _):
            return seconds.truncatingRemainder(dividingBy: period) < burst ? rate * multiple : rate
        }
    }

    private static func fill(
        segments: [(start: Double, end: Double, rate: Double)], poisson: Bool, generator: inout SeededGenerator
    ) -> [Double] {
        var offsets: [Double] = []
        let expected = segments.reduce(0.0) { $0 + max(0, $1.end - $1.start) * $1.rate }
        offsets.reserveCapacity(Int(min(expected * 1.1 + 16, 50_000_000)))
        for segment in segments where segment.rate > 0 && segment.end > segment.start {
            if poisson {
                var time = segment.start + generator.nextExponential(rate: segment.rate)
                while time < segment.end {
                    offsets.append(time)
                    time += generator.nextExponential(rate: segment.rate)
                }
            } else {
                // Index-based so that rounding does not accumulate over long segments.
                let count = Int(((segment.end - segment.start) * segment.rate).rounded(.up))
                for index in 0..<count {
                    let time = segment.start + Double(index) / segment.rate
                    if time < segment.end { offsets.append(time) }
                }
            }
        }
        return offsets
    }
}
