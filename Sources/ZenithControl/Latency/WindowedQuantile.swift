/// A high quantile of the durations recorded over the last `window` of time, in constant memory.
///
/// Values are counted in logarithmic buckets (eight per octave: a result is at most 12.5% above
/// the true quantile) per slice of the window; a slice is dropped whole once it is older than the
/// window. Unlike an estimate moved by each value (a stochastic quantile tracker), this one
/// forgets in time, whether or not values keep coming: a stall that delayed every request in
/// flight at once counts for one window, and when no value arrives at all (every request refused)
/// the estimate falls back to 0 instead of holding its last figure for good.
public struct WindowedQuantile: Sendable {
    /// The quantile reported, in (0, 1).
    public let quantile: Double
    let sliceNanos: UInt64
    /// Per slice, its count of values per bucket; `current` is being filled.
    private var slices: [[UInt32]]
    /// The sum of `slices`, per bucket.
    private var totals: [UInt32]
    private var count = 0
    private var current = 0
    /// When the current slice began, in the clock's nanoseconds (`nil` before the first value).
    private var currentStart: UInt64?
    /// The quantile of `totals`, once computed; cleared by any change.
    private var cached: UInt64?

    /// Buckets start at 2^10 ns (about a microsecond; smaller values count there) and end at
    /// 2^40 ns (18 minutes; larger values count there).
    static let lowestOctave = 10
    static let octaves = 30
    static let perOctave = 8
    static let bucketCount = octaves * perOctave

    /// - Parameters:
    ///   - quantile: the quantile to report, in (0, 1).
    ///   - windowNanos: how long a value counts.
    ///   - slices: the window's steps: a value is forgotten between `windowNanos` and
    ///     `windowNanos × (1 + 1/slices)` after it was recorded.
    public init(quantile: Double, windowNanos: UInt64, slices: Int = 8) {
        precondition(quantile > 0 && quantile < 1 && windowNanos > 0 && slices > 0)
        self.quantile = quantile
        self.sliceNanos = max(windowNanos / UInt64(slices), 1)
        self.slices = Array(repeating: Array(repeating: 0, count: Self.bucketCount), count: slices)
        self.totals = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Values recorded within the window, as of the last call.
    public var recorded: Int { count }

    /// Counts `nanos`, recorded at `now` (non-decreasing from call to call).
    public mutating func record(_ nanos: UInt64, now: UInt64) {
        advance(to: now)
        let bucket = Self.bucket(of: nanos)
        slices[current][bucket] += 1
        totals[bucket] += 1
        count += 1
        cached = nil
    }

    /// The quantile of the values recorded within the window before `now`, rounded up to its
    /// bucket's upper bound; 0 when there are none.
    public mutating func value(at now: UInt64) -> UInt64 {
        advance(to: now)
        if let cached { return cached }
        // From the top: the first bucket at which more than the allowed share lies above.
        let allowedAbove = Int((1 - quantile) * Double(count))
        var above = 0
        var result: UInt64 = 0
        if count > 0 {
            for bucket in stride(from: Self.bucketCount - 1, through: 0, by: -1) {
                above += Int(totals[bucket])
                if above > allowedAbove {
                    result = Self.upperBound(of: bucket)
                    break
                }
            }
        }
        cached = result
        return result
    }

    /// Drops the slices that have left the window by `now`.
    private mutating func advance(to now: UInt64) {
        guard let start = currentStart else {
            currentStart = now
            return
        }
        guard now >= start &+ sliceNanos else { return }
        let steps = (now - start) / sliceNanos
        for _ in 0..<min(steps, UInt64(slices.count)) {
            current = (current + 1) % slices.count
            for bucket in slices[current].indices where slices[current][bucket] > 0 {
                totals[bucket] -= slices[current][bucket]
                count -= Int(slices[current][bucket])
                slices[current][bucket] = 0
            }
        }
        currentStart = start + steps * sliceNanos
        cached = nil
    }

    /// The bucket of `nanos`: its octave and which eighth of the octave.
    static func bucket(of nanos: UInt64) -> Int {
        guard nanos >= 1 << lowestOctave else { return 0 }
        let octave = 63 - nanos.leadingZeroBitCount
        guard octave < lowestOctave + octaves else { return bucketCount - 1 }
        let eighth = Int((nanos >> (octave - 3)) & 7)
        return (octave - lowestOctave) * perOctave + eighth
    }

    /// The smallest value above every value of `bucket`.
    static func upperBound(of bucket: Int) -> UInt64 {
        let octave = bucket / perOctave + lowestOctave
        let eighth = UInt64(bucket % perOctave)
        return (8 + eighth + 1) << (octave - 3)
    }
}
