public import ZenithExecutor

/// A model that is serving: the executor's model, its scheduler, and its wire codecs.
public final class LoadedModel: Sendable {
    public let model: Model
    public let scheduler: ModelScheduler
    public let decoder: InferenceRequestDecoder
    public let encoder: InferenceResponseEncoder
    public let metrics: ModelMetrics
    let statistics: ModelStatistics
    /// The last seconds' requests, for the operator API.
    let recent: RecentStatistics

    init(
        model: Model, scheduler: ModelScheduler, metrics: ModelMetrics, statistics: ModelStatistics,
        recent: RecentStatistics
    ) {
        self.model = model
        self.scheduler = scheduler
        self.decoder = InferenceRequestDecoder(config: model.config)
        self.encoder = InferenceResponseEncoder(config: model.config, labels: model.labels)
        self.metrics = metrics
        self.statistics = statistics
        self.recent = recent
    }

    public var name: String { model.name }
    public var version: String { String(model.config.version) }
}
