import Testing
import ZenithControl

@Suite struct WindowedQuantileTests {
    /// 1,000 values of 1..1000 µs: the 99th percentile lies between 990 and 1000 µs, reported at
    /// most an eighth of an octave above.
    @Test func reportsTheQuantileOfTheWindowsValuesRoundedUpToItsBucket() {
        var quantile = WindowedQuantile(quantile: 0.99, windowNanos: 1_000_000_000)
        for micros in 1...1_000 { quantile.record(UInt64(micros) * 1_000, now: 0) }
        let value = quantile.value(at: 0)
        #expect(value >= 990_000 && value <= 1_125_000, "\(value)")
        #expect(quantile.recorded == 1_000)
    }

    /// A burst of slow values counts for one window, then only the values since count.
    @Test func forgetsValuesOlderThanTheWindow() {
        var quantile = WindowedQuantile(quantile: 0.998, windowNanos: 2_000_000_000, slices: 8)
        for _ in 0..<50 { quantile.record(15_000_000, now: 0) }
        for step in 1...1_000 { quantile.record(300_000, now: UInt64(step) * 1_000_000) }
        #expect(quantile.value(at: 1_000_000_000) >= 15_000_000)
        // Two and a quarter seconds on, the burst's slice has left the window.
        for step in 0..<1_000 { quantile.record(300_000, now: 2_250_000_000 + UInt64(step) * 1_000) }
        let value = quantile.value(at: 2_260_000_000)
        #expect(value >= 300_000 && value < 340_000, "\(value)")
    }

    /// Without values the estimate falls to 0 once the window has passed, whatever it was.
    @Test func fallsToZeroWithoutValues() {
        var quantile = WindowedQuantile(quantile: 0.998, windowNanos: 2_000_000_000)
        #expect(quantile.value(at: 0) == 0)
        quantile.record(40_000_000, now: 5_000_000_000)
        #expect(quantile.value(at: 6_000_000_000) >= 40_000_000)
        #expect(quantile.value(at: 7_300_000_000) == 0)
        #expect(quantile.recorded == 0)
    }

    /// Values below the first bucket and beyond the last are counted at the ends, not lost.
    @Test func countsValuesOutsideTheBucketsAtTheEnds() {
        var quantile = WindowedQuantile(quantile: 0.5, windowNanos: 1_000)
        quantile.record(3, now: 0)
        #expect(quantile.value(at: 0) > 0 && quantile.value(at: 0) <= 2_048)
        var huge = WindowedQuantile(quantile: 0.5, windowNanos: 1_000)
        huge.record(.max, now: 0)
        #expect(huge.value(at: 0) >= 1 << 40)
    }
}
