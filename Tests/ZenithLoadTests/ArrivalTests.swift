import Testing
import ZenithLoad

@Suite struct ArrivalTests {
    private func offsets(_ process: ArrivalProcess, rate: Double, duration: Double, seed: UInt64 = 1) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return ArrivalSchedule.offsets(process, rate: rate, duration: duration, generator: &generator)
    }

    @Test func constantIsEvenlySpacedWithTheExactCount() {
        let times = offsets(.constant, rate: 250, duration: 4)
        #expect(times.count == 1000)
        #expect(times.first == 0)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - 0.004) < 1e-9 })
        #expect(times.last! < 4)
    }

    @Test func poissonHasTheMeanRateAndExponentialGaps() {
        let times = offsets(.poisson, rate: 1000, duration: 60)
        // 60 000 expected; a Poisson count has standard deviation √60000 ≈ 245, so ±1.5% is > 3 σ.
        #expect(abs(Double(times.count) - 60_000) < 900)
        #expect(times == times.sorted())
        #expect(times.allSatisfy { $0 >= 0 && $0 < 60 })
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)
        // Exponential: standard deviation equals the mean (a constant process would have 0).
        #expect(abs(variance.squareRoot() / mean - 1) < 0.05)
        // Memoryless: about e^-1 of the gaps exceed the mean.
        let longer = Double(gaps.count { $0 > mean }) / Double(gaps.count)
        #expect(abs(longer - 0.3679) < 0.02)
    }

    @Test func stepFollowsTheMultiples() {
        let steps: [ArrivalProcess.RateStep] = [.init(atSeconds: 0, multiple: 1), .init(atSeconds: 10, multiple: 3), .init(atSeconds: 20, multiple: 1)]
        let times = offsets(.step(steps: steps, poisson: false), rate: 100, duration: 30)
        #expect(times.count { $0 < 10 } == 1000)
        #expect(times.count { $0 >= 10 && $0 < 20 } == 3000)
        #expect(times.count { $0 >= 20 } == 1000)
        #expect(ArrivalSchedule.rate(of: .step(steps: steps, poisson: false), base: 100, at: 15) == 300)

        let poisson = offsets(.step(steps: steps, poisson: true), rate: 100, duration: 30)
        let middle = Double(poisson.count { $0 >= 10 && $0 < 20 })
        let first = Double(poisson.count { $0 < 10 })
        #expect(abs(middle / first - 3) < 0.4)
    }

    @Test func stepsStartingLateUseTheBaseRateBefore() {
        let times = offsets(.step(steps: [.init(atSeconds: 5, multiple: 2)], poisson: false), rate: 10, duration: 10)
        #expect(times.count { $0 < 5 } == 50)
        #expect(times.count { $0 >= 5 } == 100)
    }

    @Test func burstRaisesTheRateAtTheStartOfEveryPeriod() {
        let process = ArrivalProcess.burst(periodSeconds: 5, burstSeconds: 1, multiple: 4, poisson: false)
        let times = offsets(process, rate: 100, duration: 10)
        for period in [0.0, 5.0] {
            #expect(times.count { $0 >= period && $0 < period + 1 } == 400)
            #expect(times.count { $0 >= period + 1 && $0 < period + 5 } == 400)
        }
        #expect(times.count == 1600)
        #expect(ArrivalSchedule.rate(of: process, base: 100, at: 5.5) == 400)
        #expect(ArrivalSchedule.rate(of: process, base: 100, at: 6.5) == 100)
    }

    @Test func traceIsReplayedAsGivenAndCutAtTheDuration() throws {
        let offsets = try TraceFile.parse("# offsets\n0.5\n0.1\n\n2.25  # late\n9\n")
        #expect(offsets == [0.1, 0.5, 2.25, 9])
        #expect(self.offsets(.trace(offsets: offsets), rate: 1, duration: 5) == [0.1, 0.5, 2.25])
        #expect(throws: ScenarioError.self) { try TraceFile.parse("0.1\nsoon\n") }
        #expect(throws: ScenarioError.self) { try TraceFile.parse("-1\n") }
        #expect(throws: ScenarioError.self) { try TraceFile.parse("# nothing\n") }
    }

    @Test func equalSeedsGiveEqualSchedules() {
        let classes = [
            SLOClass(name: "gold", share: 1, latencyTargetMs: 5, accuracyTarget: 0.92),
            SLOClass(name: "silver", share: 3, latencyTargetMs: 25, accuracyTarget: 0.9),
        ]
        let scenario = makeScenario(.poisson, duration: 20, seed: 42, classes: classes)
        let a = RequestSchedule(scenario: scenario, rate: 500, poolSize: 100)
        let b = RequestSchedule(scenario: scenario, rate: 500, poolSize: 100)
        #expect(a == b)
        var other = scenario
        other.seed = 43
        #expect(RequestSchedule(scenario: other, rate: 500, poolSize: 100).offsetsNanos != a.offsetsNanos)
        // Shares 1 : 3, images round-robin.
        let gold = Double(a.classIndices.count { $0 == 0 }) / Double(a.count)
        #expect(abs(gold - 0.25) < 0.02)
        #expect(a.payloadIndices.prefix(102) == ArraySlice((0..<100).map { $0 } + [0, 1]))
    }
}
