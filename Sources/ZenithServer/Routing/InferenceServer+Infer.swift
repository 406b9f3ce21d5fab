import Logging
import ZenithControl
import ZenithHTTP

extension InferenceServer {
    /// `POST /v2/models/{m}/infer`: decode, schedule, encode; every outcome counted and logged.
    func infer(
        _ reference: Route.ModelReference, request: HTTPRequest, arrival: Instant, log: inout Logger.Metadata?
    ) async -> HTTPResponse {
        let loaded: LoadedModel
        switch lookup(reference) {
        case .success(let model): loaded = model
        case .failure(let error): return error.response
        }
        let decoded: InferenceRequest
        do {
            decoded = try loaded.decoder.decode(body: request.body, headers: request.headers)
        } catch {
            let total = clock.now().nanoseconds(since: arrival)
            loaded.metrics.answeredWithout(.invalid, reason: "bad_request", totalNanos: total)
            loaded.statistics.failed(reason: "bad_request", totalNanos: total, missedSLO: false)
            loaded.recent.failed(reason: "bad_request", missedSLO: false, now: arrival.advanced(by: total))
            log?["outcome"] = "invalid"
            log?["reason"] = "bad_request"
            return error.response
        }
        log?["batch"] = .stringConvertible(decoded.batchSize)
        if let id = decoded.id { log?["request_id"] = "\(id)" }

        switch await loaded.scheduler.infer(decoded, arrival: arrival) {
        case .success(let computed):
            let ready = clock.now()
            // The answer's own slo_met: was it ready by the deadline.
            let result = computed.judged(met: ready <= computed.deadline)
            log?["outcome"] = "success"
            log?["plan"] = "\(result.weakestSample?.plan ?? "")"
            log?["queue_us"] = .stringConvertible(result.queueNanos / 1_000)
            log?["compute_us"] = .stringConvertible(result.computeNanos / 1_000)
            log?["slo_met"] = .stringConvertible(result.sloMet)
            var response = loaded.encoder.encode(decoded, result: result, totalNanos: ready.nanoseconds(since: arrival))
            // What operators and autoscalers read is judged when the last byte left: a slow
            // reader or a full socket buffer can still make the request late. An answer that
            // never left (the client went away) missed.
            let clock = self.clock
            response.delivery = ResponseDelivery { sentNanos in
                let sent = sentNanos.map(Instant.init(nanoseconds:)) ?? clock.now()
                let delivered = result.judged(met: sentNanos != nil && sent <= result.deadline)
                let total = sent.nanoseconds(since: arrival)
                loaded.metrics.served(delivered, totalNanos: total)
                loaded.statistics.served(delivered, totalNanos: total)
                loaded.recent.served(delivered, totalNanos: total, now: sent)
            }
            return response
        case .failure(let failure):
            let total = clock.now().nanoseconds(since: arrival)
            let outcome: ModelMetrics.Outcome =
                switch failure {
                case .invalidTarget: .invalid
                case .rejected: .rejected
                case .expired: .expired
                case .unavailable: .unavailable
                case .executorFailed: .error
                case .cancelled: .cancelled
                }
            loaded.metrics.answeredWithout(outcome, reason: failure.reason, totalNanos: total)
            let missedSLO = outcome == .rejected || outcome == .expired
            loaded.statistics.failed(reason: failure.reason, totalNanos: total, missedSLO: missedSLO)
            loaded.recent.failed(reason: failure.reason, missedSLO: missedSLO, now: arrival.advanced(by: total))
            log?["outcome"] = "\(outcome.rawValue)"
            log?["reason"] = "\(failure.reason)"
            return failure.requestError.response
        }
    }
}
