import Logging
import ZenithControl
import ZenithHTTP

extension OperatorServer {
    /// `POST /v2/slo/models/{m}`: checks the update, makes it the model's policy and saves it.
    func update(_ name: String, body: [UInt8]) async -> HTTPResponse {
        let loaded: LoadedModel
        switch lookup(name) {
        case .success(let model): loaded = model
        case .failure(let error): return error.response
        }
        let update: SLOUpdate
        do {
            update = try SLOUpdate(body: body)
        } catch {
            return RequestError.badRequest(error.message).response
        }
        let response = await change(loaded) { policy throws(RequestError) in
            do throws(JSONFieldError) {
                return try update.applied(to: policy, bestAccuracy: loaded.scheduler.bestAccuracy)
            } catch {
                throw .badRequest(error.message)
            }
        }
        if response.status == 200 {
            logger.info(
                "slo targets changed",
                metadata: [
                    "model": "\(name)", "class": "\(update.sloClass ?? "-")",
                    "latency_target_ms": "\(update.latencyTargetMs.map { "\($0)" } ?? "-")",
                    "accuracy_target": "\(update.accuracyTarget.map { "\($0)" } ?? "-")",
                    "infeasible_policy": "\(update.infeasiblePolicy?.rawValue ?? "-")",
                ])
        }
        return response
    }

    /// `DELETE /v2/slo/models/{m}/classes/{c}`: removes a class; requests naming it then get 400.
    func deleteClass(_ sloClass: String, of name: String) async -> HTTPResponse {
        let loaded: LoadedModel
        switch lookup(name) {
        case .success(let model): loaded = model
        case .failure(let error): return error.response
        }
        let response = await change(loaded) { policy throws(RequestError) in
            guard policy.classTargets[sloClass] != nil else {
                throw .notFound("model '\(name)' has no SLO class '\(sloClass)'")
            }
            var policy = policy
            policy.classTargets[sloClass] = nil
            return policy
        }
        if response.status == 200 {
            logger.info("slo class removed", metadata: ["model": "\(name)", "class": "\(sloClass)"])
        }
        return response
    }

    /// Replaces `loaded`'s policy with `transform` of it and saves it, with every other change
    /// excluded meanwhile, so two operators' updates of one model cannot lose one another.
    ///
    /// Runs on a thread of its own: saving writes and flushes a file, which must not hold up an
    /// event loop that data-port connections share.
    private func change(
        _ loaded: LoadedModel, _ transform: @escaping @Sendable (SLOPolicy) throws(RequestError) -> SLOPolicy
    ) async -> HTTPResponse {
        let store = repository.targets
        let outcome: Result<SLOPolicy, RequestError>
        do {
            outcome = try await runOnThread(name: "zenith-operator") {
                Result { () throws(RequestError) -> SLOPolicy in
                    try Self.change(loaded, in: store, transform)
                }
            }
        } catch {
            return RequestError(status: 500, message: "the change could not be made: \(error)").response
        }
        switch outcome {
        case .success(let policy): return .json(ModelSLO(loaded, policy: policy).json)
        case .failure(let error): return error.response
        }
    }

    /// The blocking part of `change`: under the store's lock, the scheduler's policy is replaced
    /// (it refuses targets no plan can meet) and the state file rewritten; if the file cannot be
    /// written the old policy is put back, so what is served is always what a restart would load.
    private static func change(
        _ loaded: LoadedModel, in store: SLOStateStore, _ transform: (SLOPolicy) throws(RequestError) -> SLOPolicy
    ) throws(RequestError) -> SLOPolicy {
        try store.update { (entries, save) throws(RequestError) -> SLOPolicy in
            let scheduler = loaded.scheduler
            let current = scheduler.policy
            let next = try transform(current)
            do throws(InvalidTarget) {
                try scheduler.setPolicy(next)
            } catch {
                throw RequestError.badRequest(error.description)
            }
            var changed = entries
            changed[loaded.name] = StoredTargets(policy: next)
            do {
                try save(changed)
            } catch {
                try? scheduler.setPolicy(current)
                throw RequestError(status: 500, message: "the targets could not be saved: \(error)")
            }
            entries = changed
            return next
        }
    }
}
