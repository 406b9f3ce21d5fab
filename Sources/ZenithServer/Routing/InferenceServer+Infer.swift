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
        return await infer(
            loaded, arrival: arrival, log: &log,
            decode: { () throws(RequestError) in
                try loaded.decoder.decode(body: request.body, headers: request.headers)
            },
            encode: { decoded, result, totalNanos, targetNanos in
                loaded.encoder.encode(decoded, result: result, totalNanos: totalNanos, latencyTargetNanos: targetNanos)
            },
            invalid: { $0.response }, failed: { $0.requestError.response })
    }

    /// One inference, whatever the protocol: decode the request, schedule it on the model, encode
    /// the answer, and count every outcome in the model's metrics, statistics and recent window.
    /// A served answer is judged when its last byte leaves (its `ResponseDelivery`).
    ///
    /// - Parameters:
    ///   - loaded: the model the request names.
    ///   - arrival: when the request's headers were complete.
    ///   - decode: reads the request for `loaded`; a `RequestError` is counted as invalid.
    ///   - encode: the answer to a served request, given the request, the result judged when
    ///     ready, the time from arrival to now, and from arrival to its deadline (if it had one).
    ///   - invalid: the answer to a request `decode` refused.
    ///   - failed: the answer to a request the scheduler answered without outputs.
    func infer(
        _ loaded: LoadedModel, arrival: Instant, log: inout Logger.Metadata?,
        decode: () throws(RequestError) -> InferenceRequest,
        encode: (InferenceRequest, InferenceResult, UInt64, UInt64?) -> HTTPResponse,
        invalid: (RequestError) -> HTTPResponse,
        failed: (InferenceFailure) -> HTTPResponse
    ) async -> HTTPResponse {
        let decoded: InferenceRequest
        do {
            decoded = try decode()
        } catch {
            let total = clock.now().nanoseconds(since: arrival)
            loaded.metrics.answeredWithout(.invalid, reason: "bad_request", totalNanos: total)
            loaded.statistics.failed(reason: "bad_request", totalNanos: total, missedSLO: false)
            loaded.recent.failed(reason: "bad_request", missedSLO: false, now: arrival.advanced(by: total))
            log?["outcome"] = "invalid"
            log?["reason"] = "bad_request"
            return invalid(error)
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
            let target = result.deadline == .distantFuture ? nil : result.deadline.nanoseconds(since: arrival)
            var response = encode(decoded, result, ready.nanoseconds(since: arrival), target)
            // What operators and autoscalers read is judged when the last byte left: a slow
            // reader or a full socket buffer can still make the request late. An answer that
            // never left (the client went away) missed.
            let clock = self.clock
            response.delivery = ResponseDelivery { sentNanos in
                let sent = sentNanos.map(Instant.init(nanoseconds:)) ?? clock.now()
                let delivered = result.judged(met: sentNanos != nil && sent <= result.deadline)
                let total = sent.nanoseconds(since: arrival)
                if sentNanos != nil {
                    let inside = result.queueNanos &+ result.computeNanos
                    loaded.scheduler.recordOverhead(nanos: total > inside ? total - inside : 0, at: sent)
                }
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
            return failed(failure)
        }
    }
}
