public import ZenithCore

/// The plans of one model, ordered dense first, with their accuracies and latency priors.
public struct ModelProfile: Sendable, Equatable {
    /// Dense first, then the model's other plans in `config.json` order; `plans[i].index == i`.
    public let plans: [PlanProfile]

    /// Checks and numbers the plans.
    ///
    /// - Parameter plans: dense first; every plan needs an accuracy in 0–1 and at least one
    ///   positive, finite latency for a batch size of at least 1.
    public init(plans: [PlanProfile]) throws(ProfileError) {
        guard !plans.isEmpty else { throw .noPlans }
        var numbered: [PlanProfile] = []
        var names: Set<String> = []
        for (index, var plan) in plans.enumerated() {
            guard names.insert(plan.name).inserted else { throw .duplicatePlan(plan.name) }
            guard plan.expectedAccuracy.isFinite, (0...1).contains(plan.expectedAccuracy) else {
                throw .accuracyOutOfRange(plan: plan.name, plan.expectedAccuracy)
            }
            guard !plan.latencyMicros.isEmpty else { throw .noLatency(plan: plan.name) }
            for (batch, micros) in plan.latencyMicros where batch < 1 || !micros.isFinite || micros <= 0 {
                throw .invalidLatency(plan: plan.name, batch: batch, micros)
            }
            plan.index = index
            numbered.append(plan)
        }
        self.plans = numbered
    }

    /// Joins a model's configured plans with their measured accuracy and latency (`Profiles/<model>/`).
    ///
    /// - Parameters:
    ///   - config: the model; its plan order is kept.
    ///   - accuracy: expected accuracy by plan name (`accuracy.json`).
    ///   - latencyMicros: microseconds by plan name and batch size (`latency.json`).
    public init(
        config: ModelConfig, accuracy: [String: Double], latencyMicros: [String: [Int: Double]]
    ) throws(ProfileError) {
        var plans: [PlanProfile] = []
        for spec in config.plans {
            guard let expected = accuracy[spec.name] else { throw .missingPlan(spec.name) }
            plans.append(PlanProfile(name: spec.name, expectedAccuracy: expected, latencyMicros: latencyMicros[spec.name] ?? [:]))
        }
        try self.init(plans: plans)
    }

    /// The full network (`plans[0]`).
    public var dense: PlanProfile { plans[0] }

    /// The highest expected accuracy of any plan (normally dense's): no target above it can be met.
    public var bestAccuracy: Double { plans.lazy.map(\.expectedAccuracy).max() ?? 0 }

    /// The plan called `name`, if the model has one.
    public func plan(named name: String) -> PlanProfile? { plans.first { $0.name == name } }
}
