import Foundation
public import NIOCore
import ZenithHTTP

/// Runs one scenario schedule against one server: connects, sets the scenario's server-side
/// targets, sends open-loop, fires the timed operator actions, waits for answers, and turns
/// what came back into samples.
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
    public func run(
        mode: String, endpoint: Endpoint, operatorEndpoint: Endpoint?, durationSeconds: Double,
        eventLoopGroup: any EventLoopGroup
    ) async throws -> RunRecord {
        let transport = try await ClientConnectionPool.connect(
            to: endpoint, count: options.connections, version: options.version, eventLoopGroup: eventLoopGroup)
        let operatorClient = OperatorClient(endpoint: operatorEndpoint, token: options.operatorToken)
        var actions = await setUpTargets(operatorClient)

        let log = CompletionLog(connections: transport.connectionCount, expected: schedule.count)
        let clock = LoadClock()
        let timed = startActions(operatorClient, clock: clock)
        let pool = self.pool
        let schedule = self.schedule
        let sent = await OpenLoopSender(spinMicros: options.spinMicros).run(
            offsetsNanos: schedule.offsetsNanos,
            request: { pool.requests[schedule.classIndices[$0]][schedule.payloadIndices[$0]] },
            transport: transport, clock: clock,
            completion: { index, connection, result in
                log.record(.init(index: index, completedNanos: clock.now(), result: result), connection: connection)
            })
        // Answers still due are waited for, up to the drain time; the rest count as lost.
        let giveUp = clock.now() + UInt64(options.drainSeconds * 1e9)
        while log.count < schedule.count && clock.now() < giveUp {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let entries = log.drain()
        for task in timed { actions.append(await task.value) }
        await transport.close()
        return RunRecord(
            mode: mode, samples: samples(sent: sent, entries: entries), actions: actions,
            durationSeconds: durationSeconds, offeredRate: schedule.baseRate, clientQueued: transport.queuedLocally)
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

    private func samples(sent: [UInt64], entries: [CompletionLog.Entry]) -> [Sample] {
        var completions = [CompletionLog.Entry?](repeating: nil, count: schedule.count)
        let imagesPerRequest = pool.imagesPerRequest
        for entry in entries where entry.index < completions.count { completions[entry.index] = entry }
        return schedule.offsetsNanos.indices.map { index in
            let slo = scenario.classes[schedule.classIndices[index]]
            let scheduled = schedule.offsetsNanos[index]
            let targets = scenario.targets(of: slo, at: Double(scheduled) / 1e9)
            let entry = completions[index]
            let outcome: InferenceOutcome
            switch entry?.result {
            case .success(let response)?:
                outcome = InferenceOutcome(response: response, imagesPerRequest: imagesPerRequest)
            case .failure(let error)?: outcome = InferenceOutcome(transportError: Self.reason(error))
            case nil: outcome = InferenceOutcome(transportError: "no_answer")
            }
            return Sample(
                index: index, sloClass: slo.name, scheduledNanos: scheduled, sentNanos: sent[index],
                completedNanos: entry?.completedNanos, latencyTargetMs: targets.latencyMs,
                accuracyTarget: targets.accuracy, labels: pool.labels[schedule.payloadIndices[index]], outcome: outcome)
        }
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
