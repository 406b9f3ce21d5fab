import Logging
import ZenithControl
import ZenithCore
import ZenithData
import ZenithExecutor

/// Loads one model folder into a serving `LoadedModel`: weights, profiles (or a measurement in
/// their place), the start-up warm-up, the calibrated controller, the workers. Blocking: seconds
/// of BLAS; run it with `runOnThread`.
struct ModelLoader {
    var options: ModelRepositoryOptions
    /// The operator's targets, which win over the config's.
    var targets: SLOStateStore

    /// Why a model could not be loaded, naming the file at fault where there is one.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func load(name: String) throws -> LoadedModel {
        let model: Model
        do {
            model = try Model(directory: "\(options.directory)/\(name)")
        } catch {
            throw Failure(description: error.description)
        }
        guard model.config.name == name else {
            throw Failure(
                description:
                    "\(options.directory)/\(name)/config.json: name '\(model.config.name)' does not match its folder '\(name)'"
            )
        }
        let logger = options.logger
        let mode: SchedulingMode
        // A fixed-plan mode serves one plan; the controller needs only that one then. A static
        // plan is checked before anything is measured for the model.
        let plans: [Int]
        if let staticPlan = options.staticPlans[name] {
            guard let index = model.planNames.firstIndex(of: staticPlan), index > 0 else {
                throw Failure(
                    description: "--static-plan \(name)=\(staticPlan): the model's non-dense plans are "
                        + model.planNames.dropFirst().joined(separator: ", ") + " (dense is --dense-only)")
            }
            (mode, plans) = (.staticPlan, [index])
        } else {
            mode = options.mode
            plans = mode == .denseOnly ? [0] : Array(model.planNames.indices)
        }
        // Accuracy travels with the model (`<model>/<version>/accuracy.json`: the store of the
        // model's folder, entry `<version>`); latency is this machine's (Profiles/), else the one
        // measured where the model was prepared, else the warm-up's.
        let store = ProfileStore(directory: options.profiles)
        let folder = ProfileStore(directory: model.directory)
        let version = "\(model.config.version)"
        let accuracy = try folder.accuracy(model: version) ?? store.accuracy(model: name) ?? measureAccuracy(model)
        let profiled = try store.latencyMicros(model: name) ?? folder.latencyMicros(model: version)

        let maxBatch = model.config.batching.maxBatchSize
        // Without a latency profile the warm-up is the prior, so it takes a middle point too.
        let batches = profiled == nil ? [1, max(1, maxBatch / 4), maxBatch] : [1, maxBatch]
        // With the warm-up off, only plans the latency profile lacks are measured (there is no other source).
        let measuredPlans =
            options.warmupIterations > 0 ? plans : plans.filter { profiled?[model.planNames[$0]] == nil }
        let warmup = Warmup(model: model, iterations: max(1, options.warmupIterations))
        let measured = try warmup.measure(model: model, plans: measuredPlans, batches: Array(Set(batches)).sorted())

        var latency = profiled ?? [:]
        for sample in measured where profiled?[model.planNames[sample.plan]] == nil {
            latency[model.planNames[sample.plan], default: [:]][sample.batch] = Double(sample.nanos) / 1_000
        }
        var config = model.config
        config.plans = plans.map { config.plans[$0] }
        let profile: ModelProfile
        do {
            profile = try ModelProfile(config: config, accuracy: accuracy, latencyMicros: latency)
        } catch {
            throw Failure(description: "\(options.profiles)/\(name): \(error)")
        }
        // Targets are checked against the model's best plan in every mode, so that a request valid
        // for the controller is valid for a fixed-plan baseline too (which then just misses it).
        let bestAccuracy = model.planNames.compactMap { accuracy[$0] }.max() ?? profile.bestAccuracy
        var policy = SLOPolicy(config: model.config, maxQueueDepth: options.maxQueueDepth)
        if let stored = targets.targets(for: name) {
            policy = stored.applied(to: policy)
            // Targets saved for a profile or mode that could meet them; this one cannot.
            if let invalid = policy.firstInvalidTarget(bestAccuracy: bestAccuracy) {
                throw Failure(description: "\(targets.file ?? "stored targets"): model '\(name)': \(invalid)")
            }
        }
        var controller = Controller(
            profile: profile,
            configuration: ControllerConfiguration(
                batching: model.config.batching, workers: options.workers, deadlineHeadroom: options.deadlineHeadroom,
                maxUtilization: options.maxUtilization, cores: Double(AvailableCores.count)),
            policy: policy)
        // Warm-up plans are numbered as in the model; the profile keeps their order.
        for sample in measured {
            controller.calibrate(
                plan: plans.firstIndex(of: sample.plan)!, batch: sample.batch, measuredNanos: sample.nanos)
        }

        let metrics = ModelMetrics(
            model: name, version: String(model.config.version), plans: profile.plans.map(\.name),
            factory: options.metricsFactory)
        let statistics = ModelStatistics(plans: profile.plans.map(\.name))
        let recent = RecentStatistics(plans: profile.plans.map(\.name))
        let scheduler = ModelScheduler(
            model: model, controller: controller, mode: mode, modelPlans: plans, bestAccuracy: bestAccuracy,
            metrics: metrics, statistics: statistics, idleCPU: options.idleCPU,
            batchesOnEventLoop: options.batchesOnEventLoop ?? (options.workers == 1 && AvailableCores.count == 1),
            logger: logger)
        logger.info(
            "model loaded",
            metadata: [
                "model": "\(name)", "plans": "\(profile.plans.count)", "workers": "\(options.workers)",
                "mode": "\(mode.rawValue)",
                "profiles": "\(profiled == nil ? "measured at start-up" : "from \(options.profiles)")",
                "dense_us_batch1": "\(controller.latency.predictedMicros(plan: 0, batch: 1))",
            ])
        return LoadedModel(
            model: model, scheduler: scheduler, metrics: metrics, statistics: statistics, recent: recent)
    }

    /// Without `accuracy.json`, measures it as `zenith profile` would, on the validation split
    /// (only a model tuned on the built-in Fashion-MNIST can be measured here).
    private func measureAccuracy(_ model: Model) throws -> [String: Double] {
        let file = "\(model.directory)/\(model.config.version)/accuracy.json"
        options.logger.warning(
            "no accuracy profile: measuring the validation split now (run `zenith profile` to skip this)",
            metadata: ["model": "\(model.name)", "file": "\(file)"])
        let data: EvaluationData
        do {
            data = try EvaluationData.load(for: model, directory: options.dataset)
        } catch {
            throw Failure(description: "\(file): file not found, and it cannot be measured: \(error)")
        }
        let report = try Profiler.accuracyProfile(model: model, validation: data.validation)
        var accuracy: [String: Double] = [:]
        for plan in report["plans"]?.arrayValue ?? [] {
            if let name = plan["name"]?.stringValue, let value = plan["accuracy"]?.doubleValue {
                accuracy[name] = value
            }
        }
        return accuracy
    }
}
