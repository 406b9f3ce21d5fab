import Foundation
public import NIOCore
import ZenithHTTP

/// Runs one scenario schedule against one server: connects, sets the scenario's server-side
/// targets, sends open-loop, fires the timed operator actions and starts and stops the
/// interference, waits for answers, and turns what came back into samples.
public struct ScenarioRunner: Sendable {
    /// The scenario (classes, actions, model).
    public var scenario: Scenario
    /// The requests' schedule (shared by both modes of a comparison).
    public var schedule: RequestSchedule
    /// Pre-encoded bodies.
    public var pool: PayloadPool
    /// Connection and timing options.
    public var options: RunOptions

    /// Creates a runner.
    public init(scenario: Scenario, schedule: RequestSchedule, pool: PayloadPool, options: RunOptions) {
        self.scenario = scenario
        self.schedule = schedule
        self.pool = pool
        self.options = options
    }

    /// Runs against `endpoint`.
    ///
    /// - Parameters:
    ///   - mode: the label of this run in reports (`dense`, `slo`, ...).
    ///   - endpoint: the data port.
    ///   - operatorEndpoint: the operator API, if there is one.
    ///   - durationSeconds: the schedule's length.
    ///   - eventLoopGroup: the client's event loops.
    ///   - progress: where progress lines go while the run goes on (none without).
    public func run(
        mode: String, endpoint: Endpoint, operatorEndpoint: Endpoint?, durationSeconds: Double,
        eventLoopGroup: any EventLoopGroup, progress: RunProgress? = nil
    ) async throws -> RunRecord {
        let transport = try await ClientConnectionPool.connect(
            to: endpoint, count: options.connections, version: options.version, eventLoopGroup: eventLoopGroup)
        let operatorClient = OperatorClient(endpoint: operatorEndpoint, token: options.operatorToken)
        var actions = await setUpTargets(operatorClient)

        let log = CompletionLog(connections: transport.connectionCount, expected: schedule.count)
        let clock = LoadClock()
        let interferer = InterferenceRunner(burner: InterferenceRunner.currentExecutable, cpus: options.interferenceCPUs)
        let timed =
            startActions(operatorClient, clock: clock)
            + scenario.interference.filter { $0.fromSeconds < durationSeconds }.map { interference in
                Task { await interferer.run(interference, clock: clock) }
            }
        let pool = self.pool
        let schedule = self.schedule
        let sentCounter = SentCounter()
        let reporter = progress.map {
            startProgress($0, mode: mode, durationSeconds: durationSeconds, log: log, sent: sentCounter, clock: clock)
        }
        defer { reporter?.cancel() }
        let timesBefore = CPUTimes.read()
        let sent = await OpenLoopSender(spinMicros: options.spinMicros).run(
            offsetsNanos: schedule.offsetsNanos,
            request: { index in
                sentCounter.sending(index)
                return pool.requests[schedule.classIndices[index]][schedule.payloadIndices[index]]
            },
            transport: transport, clock: clock,
            completion: { index, connection, result in
                log.record(.init(index: index, completedNanos: clock.now(), result: result), connection: connection)
            })
        let timesAfter = CPUTimes.read()
        let stealShares = timesBefore.flatMap { before in timesAfter?.stealShares(since: before) } ?? [:]
        // Answers still due are waited for, up to the drain time; the rest count as lost.
        let giveUp = clock.now() + UInt64(options.drainSeconds * 1e9)
        while log.count < schedule.count && clock.now() < giveUp {
            try? await Task.sleep(for: .milliseconds(20))
        }
        reporter?.cancel()
        let entries = log.drain()
        for task in timed { actions.append(await task.value) }
        await transport.close()
        return RunRecord(
            mode: mode, samples: samples(sent: sent, entries: entries), actions: actions,
            durationSeconds: durationSeconds, offeredRate: schedule.baseRate, clientQueued: transport.queuedLocally,
            stealShares: stealShares)
    }

    /// Before the clock starts: make the server's class and default targets the scenario's, so
    /// classes that do not send their targets are judged against what the server applies.
    private func setUpTargets(_ client: OperatorClient) async -> [ActionRecord] {
        var records: [ActionRecord] = []
        var didDefault = false
        for slo in scenario.classes {
            switch slo.delivery {
            case .parameters: continue
            case .serverClass:
                let body = OperatorClient.body(
                    latencyTargetMs: slo.latencyTargetMs, accuracyTarget: slo.accuracyTarget, sloClass: slo.name,
                    infeasiblePolicy: nil)
                records.append(await client.setTarget(model: scenario.model, body: body, atSeconds: -1, clock: nil))
            case .modelDefault:
                guard !didDefault else { continue }
                didDefault = true
                let body = OperatorClient.body(
                    latencyTargetMs: slo.latencyTargetMs, accuracyTarget: slo.accuracyTarget, sloClass: nil,
                    infeasiblePolicy: nil)
                records.append(await client.setTarget(model: scenario.model, body: body, atSeconds: -1, clock: nil))
            }
        }
        return records
    }

    private func startActions(_ client: OperatorClient, clock: LoadClock) -> [Task<ActionRecord, Never>] {
        let model = scenario.model
        return scenario.actions.map { action in
            Task {
                try? await Task.sleep(until: clock.instant(atNanos: UInt64(action.atSeconds * 1e9)), clock: .continuous)
                let body = OperatorClient.body(
                    latencyTargetMs: action.latencyTargetMs, accuracyTarget: action.accuracyTarget,
                    sloClass: action.sloClass, infeasiblePolicy: action.infeasiblePolicy)
                return await client.setTarget(model: model, body: body, atSeconds: action.atSeconds, clock: clock)
            }
        }
    }

    /// A line every `progress.interval` until cancelled: what was sent and answered so far, and
    /// the attainment of (a bounded sample of) the answers since the previous line.
    private func startProgress(
        _ progress: RunProgress, mode: String, durationSeconds: Double, log: CompletionLog, sent: SentCounter,
        clock: LoadClock
    ) -> Task<Void, Never> {
        Task {
            var marks: [Int] = []
            let components = progress.interval.components
            let intervalSeconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
            while true {
                do { try await Task.sleep(for: progress.interval) } catch { return }
                let recent = log.entries(after: &marks)
                let stride = max(1, (recent.count + progress.maxJudged - 1) / progress.maxJudged)
                var judged = 0
                var attained = 0
                for position in Swift.stride(from: 0, to: recent.count, by: stride) {
                    let entry = recent[position]
                    guard entry.index < schedule.count else { continue }
                    judged += 1
                    let scheduled = schedule.offsetsNanos[entry.index]
                    if sample(index: entry.index, sentNanos: scheduled, entry: entry).attained { attained += 1 }
                }
                progress.report(
                    RunProgress.line(
                        mode: mode, elapsedSeconds: Double(clock.now()) / 1e9, durationSeconds: durationSeconds,
                        sent: sent.count, scheduled: schedule.count, answered: log.count, attained: attained,
                        judged: judged, intervalSeconds: intervalSeconds))
            }
        }
    }

    private func samples(sent: [UInt64], entries: [CompletionLog.Entry]) -> [Sample] {
        var completions = [CompletionLog.Entry?](repeating: nil, count: schedule.count)
        for entry in entries where entry.index < completions.count { completions[entry.index] = entry }
        return schedule.offsetsNanos.indices.map { index in
            sample(index: index, sentNanos: sent[index], entry: completions[index])
        }
    }

    /// Request `index` as the report counts it, from its answer (`nil`: none came).
    private func sample(index: Int, sentNanos: UInt64, entry: CompletionLog.Entry?) -> Sample {
        let slo = scenario.classes[schedule.classIndices[index]]
        let scheduled = schedule.offsetsNanos[index]
        let targets = scenario.targets(of: slo, at: Double(scheduled) / 1e9)
        let outcome: InferenceOutcome
        switch entry?.result {
        case .success(let response)?:
            outcome = InferenceOutcome(response: response, imagesPerRequest: pool.imagesPerRequest)
        case .failure(let error)?: outcome = InferenceOutcome(transportError: Self.reason(error))
        case nil: outcome = InferenceOutcome(transportError: "no_answer")
        }
        return Sample(
            index: index, sloClass: slo.name, scheduledNanos: scheduled, sentNanos: sentNanos,
            completedNanos: entry?.completedNanos, latencyTargetMs: targets.latencyMs,
            accuracyTarget: targets.accuracy, labels: pool.labels[schedule.payloadIndices[index]], outcome: outcome)
    }

    /// A short, machine-friendly name for a transport failure.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? HTTPClientError else { return "client_error" }
        switch error {
        case .connectFailed: return "connect_failed"
        case .connectionClosed: return "connection_closed"
        case .timedOut: return "timed_out"
        case .streamReset(let code): return "stream_reset_\(code)"
        case .tooManyStreams: return "client_too_many_streams"
        case .protocolError: return "protocol_error"
        }
    }
}
