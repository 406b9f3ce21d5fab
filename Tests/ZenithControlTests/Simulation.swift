import Testing
import ZenithControl
import ZenithCore

/// A deterministic discrete-event simulation of one model served by a `Controller`.
///
/// Events are arrivals, batch completions (from a fake executor) and the wake-ups the controller
/// asks for; the clock jumps from event to event. Nothing reads a wall clock.
struct Simulation {
    /// The real machine: execution time of `plan` for `batch` requests at instant `now`.
    typealias Executor = (_ plan: Int, _ batch: Int, _ now: Instant) -> UInt64

    struct Outcome {
        var offered = 0
        var met = 0
        var late = 0
        var rejected = 0
        var expired = 0
        var accuracySum = 0.0
        var served = 0
        var plans: [String: Int] = [:]

        /// Share of offered requests answered within their latency target.
        var attainment: Double { Double(met) / Double(offered) }
        /// Mean expected accuracy of the plans that served requests.
        var meanAccuracy: Double { accuracySum / Double(max(served, 1)) }
    }

    var controller: Controller
    let executor: Executor

    /// Runs `arrivals` (instants, ascending) that all ask for `requested`, until every request is answered.
    mutating func run(arrivals: [Instant], requested: RequestedSLO) -> Outcome {
        var outcome = Outcome(offered: arrivals.count)
        let target = nanos(ms: requested.latencyTargetMs!)
        var running: [(end: Instant, batch: Batch, measured: UInt64)] = []
        var wake: Instant?
        var next = 0
        var now = Instant(nanoseconds: 0)

        while next < arrivals.count || !running.isEmpty || wake != nil {
            now = [next < arrivals.count ? arrivals[next] : nil, running.map(\.end).min(), wake].compactMap { $0 }.min()!
            wake = nil
            for done in running where done.end <= now {
                controller.completed(done.batch.id, measuredNanos: done.measured, now: now)
                for member in done.batch.members {
                    if now.nanoseconds(since: member.arrival) <= target { outcome.met += 1 } else { outcome.late += 1 }
                }
                outcome.served += done.batch.members.count
                outcome.accuracySum += done.batch.plan.expectedAccuracy * Double(done.batch.members.count)
                outcome.plans[done.batch.plan.name, default: 0] += done.batch.members.count
            }
            running.removeAll { $0.end <= now }
            while next < arrivals.count, arrivals[next] <= now {
                if case .rejected = controller.submit(id: RequestID(UInt64(next)), requested: requested, now: now) {
                    outcome.rejected += 1
                }
                next += 1
            }
            drive: while true {
                switch controller.nextAction(now: now) {
                case .run(let batch):
                    let measured = executor(batch.plan.index, batch.members.count, now)
                    running.append((now.advanced(by: measured), batch, measured))
                case .expire(let requests):
                    outcome.expired += requests.count
                case .wait(let until):
                    wake = until
                    break drive
                case .idle:
                    break drive
                }
            }
        }
        return outcome
    }

    /// Arrival instants of a Bernoulli process (≈ Poisson): in each 10 µs tick one request arrives
    /// with probability `rate × 10 µs`.
    static func arrivals(perSecond rate: Double, seconds: Double, seed: UInt64) -> [Instant] {
        var random = SplitMix64(seed: seed)
        let tick: UInt64 = 10_000
        let probability = rate * Double(tick) / 1e9
        return (0..<UInt64(seconds * 1e9 / Double(tick))).compactMap { step in
            Double.random(in: 0..<1, using: &random) < probability ? Instant(nanoseconds: step * tick) : nil
        }
    }

    /// A machine `slowdown(now)` times slower than the profile, with ±5 % deterministic jitter.
    static func machine(slowdown: @escaping (Instant) -> Double, seed: UInt64) -> Executor {
        var random = SplitMix64(seed: seed)
        return { plan, batch, now in
            let jitter = Double.random(in: 0.95...1.05, using: &random)
            return UInt64(Plans.micros(plan, batch: batch) * 1_000 * slowdown(now) * jitter)
        }
    }
}
