import Testing

@testable import ZenithControl

@Suite struct ArrivalRateTests {
    /// Records arrivals every `gapMs` from `startMs` up to (not including) `endMs`.
    private func arrivals(every gapMs: Double, from startMs: Double, to endMs: Double, into rate: inout ArrivalRate) {
        for at in stride(from: startMs, to: endMs, by: gapMs) { rate.record(at: ms(at)) }
    }

    /// 4,000 a second from a standing start: 50 ms in (a fifth of the window), a plain decaying
    /// count reads 18% of the rate; the corrected estimate reads the rate.
    @Test func readsTheRateFromTheStartNotAfterAFewWindows() {
        var rate = ArrivalRate()
        arrivals(every: 0.25, from: 0, to: 50, into: &rate)
        let estimate = rate.perSecond(at: ms(50))
        #expect(abs(estimate - 4_000) < 400, "estimate \(estimate)")
    }

    @Test func followsTheRateOverManyWindows() {
        var rate = ArrivalRate()
        arrivals(every: 1, from: 0, to: 2_000, into: &rate)
        #expect(abs(rate.perSecond(at: ms(2_000)) - 1_000) < 100)
        arrivals(every: 0.1, from: 2_000, to: 3_000, into: &rate)
        #expect(abs(rate.perSecond(at: ms(3_000)) - 10_000) < 1_000)
    }

    /// A second's pause between two loads, as a harness takes between sweep points: the second
    /// load is read from its start, not as a ramp from what the pause left of the first.
    @Test func aPauseBetweenTwoLoadsStartsTheEstimateAfresh() {
        var rate = ArrivalRate()
        arrivals(every: 1, from: 0, to: 2_000, into: &rate)
        arrivals(every: 0.125, from: 3_000, to: 3_050, into: &rate)
        let estimate = rate.perSecond(at: ms(3_050))
        #expect(abs(estimate - 8_000) < 800, "estimate \(estimate)")
    }

    /// One request on an idle server is not a flood: the correction is bounded.
    @Test func aLoneArrivalReadsAsALowRate() {
        var rate = ArrivalRate()
        #expect(rate.perSecond(at: ms(0)) == 0)
        rate.record(at: ms(0))
        #expect(rate.perSecond(at: ms(0)) < 50)
    }

    /// 20,000 a second from a standing start: two milliseconds in, the estimate is already the
    /// rate (with the lone arrival's bound, it would read a twelfth of it).
    @Test func aFloodIsReadWithinMilliseconds() {
        var rate = ArrivalRate()
        arrivals(every: 0.05, from: 0, to: 2, into: &rate)
        let estimate = rate.perSecond(at: ms(2))
        #expect(abs(estimate - 20_000) < 2_500, "estimate \(estimate)")
    }

    /// Once arrivals stop the estimate decays; after a silence the next burst is read afresh.
    @Test func decaysInASilenceAndStartsAfreshAfterIt() {
        var rate = ArrivalRate()
        arrivals(every: 0.25, from: 0, to: 1_000, into: &rate)
        #expect(rate.perSecond(at: ms(1_500)) < 4_000 * 0.2)
        #expect(rate.perSecond(at: ms(5_000)) < 1)
        arrivals(every: 0.5, from: 5_000, to: 5_050, into: &rate)
        let estimate = rate.perSecond(at: ms(5_050))
        #expect(abs(estimate - 2_000) < 200, "estimate \(estimate)")
    }
}
