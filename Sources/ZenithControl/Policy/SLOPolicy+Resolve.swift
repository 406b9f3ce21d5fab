import ZenithCore

extension SLOPolicy {
    /// Resolves a request's targets: each field from the request, else its SLO class, else the
    /// model default; Triton's `timeout` caps the deadline and `priority` picks the level.
    ///
    /// - Parameters:
    ///   - requested: what the request asked for.
    ///   - arrival: when it arrived; the deadline counts from here.
    ///   - bestAccuracy: the model's most accurate plan's expected accuracy (`ModelProfile.bestAccuracy`).
    /// - Returns: the targets, or why they are impossible whatever the load.
    public func resolve(
        _ requested: RequestedSLO, arrival: Instant, bestAccuracy: Double
    ) -> Result<RequestTargets, InvalidTarget> {
        var classTargets: SLOTargets?
        if let name = requested.sloClass {
            guard let targets = self.classTargets[name] else { return .failure(.unknownSLOClass(name)) }
            classTargets = targets
        }
        let latencyMs = requested.latencyTargetMs ?? classTargets?.latencyTargetMs ?? modelDefaults.latencyTargetMs
        let accuracy = requested.accuracyTarget ?? classTargets?.accuracyTarget ?? modelDefaults.accuracyTarget

        var deadline = Instant.distantFuture
        if let latencyMs {
            guard latencyMs > 0, let nanos = UInt64.nanoseconds(latencyMs, scale: 1_000_000) else {
                return .failure(.latencyNotPositive(latencyMs))
            }
            deadline = arrival.advanced(by: max(nanos, 1))
        }
        if let accuracy {
            guard accuracy.isFinite, (0...1).contains(accuracy) else { return .failure(.accuracyOutOfRange(accuracy)) }
            guard accuracy <= bestAccuracy else { return .failure(.accuracyAboveModel(requested: accuracy, best: bestAccuracy)) }
        }
        // Triton: a timeout of 0 means none; a timeout is also a latency bound.
        var timeout: Instant?
        if let micros = requested.timeoutMicros, micros > 0 {
            let (nanos, overflow) = micros.multipliedReportingOverflow(by: 1_000)
            timeout = arrival.advanced(by: overflow ? .max : nanos)
            deadline = min(deadline, timeout!)
        }
        return .success(
            RequestTargets(
                arrival: arrival, deadline: deadline, accuracyTarget: accuracy ?? 0,
                priority: priorityLevel(requested.priority), timeout: timeout, policy: infeasiblePolicy))
    }

    /// Checks the policy's own targets, so an operator cannot set a default no request could meet.
    ///
    /// - Parameter bestAccuracy: the model's most accurate plan's expected accuracy.
    /// - Returns: the first problem found, or `nil`.
    public func firstInvalidTarget(bestAccuracy: Double) -> InvalidTarget? {
        let all = [modelDefaults] + classTargets.sorted { $0.key < $1.key }.map(\.value)
        for targets in all {
            if let latency = targets.latencyTargetMs, !(latency > 0 && latency.isFinite) {
                return .latencyNotPositive(latency)
            }
            if let accuracy = targets.accuracyTarget {
                guard accuracy.isFinite, (0...1).contains(accuracy) else { return .accuracyOutOfRange(accuracy) }
                if accuracy > bestAccuracy { return .accuracyAboveModel(requested: accuracy, best: bestAccuracy) }
            }
        }
        return nil
    }

    /// Triton's rule: priority 0, or one beyond the configured levels, gets the default level.
    func priorityLevel(_ requested: UInt64?) -> UInt32 {
        guard let requested, requested >= 1, requested <= UInt64(priorityLevels) else { return defaultPriorityLevel }
        return UInt32(requested)
    }
}
