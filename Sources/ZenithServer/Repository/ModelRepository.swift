import Foundation
public import ServiceLifecycle
import ZenithExecutor

/// The models the server knows: every folder of the repository with a `config.json`, and which
/// of them are loaded (the `model_repository` extension: index, load, unload).
///
/// As a `Service` it stops every model's threads at graceful shutdown, after the HTTP server
/// (which the `ServiceGroup` stops first) has answered what was in flight.
public final class ModelRepository: Service, Sendable {
    /// A model's state, as the repository index reports it.
    public enum State: String, Sendable {
        case ready = "READY"
        case loading = "LOADING"
        case unavailable = "UNAVAILABLE"
    }

    /// One row of the repository index.
    public struct IndexEntry: Sendable, Equatable {
        public var name: String
        public var version: String?
        public var state: State
        /// Why it is unavailable: a load error, or "unloaded".
        public var reason: String?
    }

    private struct Entry {
        var state: State
        var loaded: LoadedModel?
        var reason: String?
    }

    public let options: ModelRepositoryOptions
    /// The operator's targets: a model starts with those stored for it, over its `config.json`'s.
    public let targets: SLOStateStore
    private let entries = Locked<[String: Entry]>([:])

    /// - Parameters:
    ///   - options: where models come from and how they are served.
    ///   - targets: the operator's stored targets; none by default.
    public init(options: ModelRepositoryOptions, targets: SLOStateStore = SLOStateStore()) {
        self.options = options
        self.targets = targets
    }

    /// Folder names of the repository that hold a `config.json`, sorted.
    public func modelFolders() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: options.directory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(options.directory)/\($0)/config.json") }
            .sorted()
    }

    /// Loads every model of the repository, as the server does at start-up.
    /// - Throws: the first model that fails to load (the server should not start half-configured).
    public func loadAll() async throws {
        let folders = modelFolders()
        guard !folders.isEmpty else {
            throw ModelLoader.Failure(description: "\(options.directory): no model folders with a config.json")
        }
        for name in folders {
            guard case .failure(let error) = await load(name) else { continue }
            // Nothing will serve: stop the threads of the models already loaded.
            for model in loadedModels { await model.scheduler.drainAndStop() }
            throw ModelLoader.Failure(description: error.message)
        }
    }

    /// The model called `name` if it is loaded.
    public func model(named name: String) -> LoadedModel? {
        entries.withLock { $0[name]?.loaded }
    }

    /// The state of `name`: `nil` when the repository has no such model.
    public func state(of name: String) -> State? {
        if let state = entries.withLock({ $0[name]?.state }) { return state }
        return modelFolders().contains(name) ? .unavailable : nil
    }

    /// Every model of the repository and its state.
    public func index() -> [IndexEntry] {
        let known = entries.withLock { $0 }
        return Set(modelFolders()).union(known.keys).sorted().map { name in
            let entry = known[name]
            return IndexEntry(
                name: name, version: entry?.loaded?.version, state: entry?.state ?? .unavailable,
                reason: entry == nil ? "not loaded" : entry?.reason)
        }
    }

    /// Whether the server is ready: some model is loaded and every model it was asked to load is
    /// (a deliberately unloaded one does not count). Cheap: health checks call it.
    public var isReady: Bool {
        entries.withLock { entries in
            entries.values.contains { $0.loaded != nil }
                && entries.values.allSatisfy { $0.state == .ready || $0.reason == ModelRepository.unloadedReason }
        }
    }

    static let unloadedReason = "unloaded"

    /// Every loaded model.
    public var loadedModels: [LoadedModel] {
        entries.withLock { $0.values.compactMap(\.loaded) }.sorted { $0.name < $1.name }
    }

    /// Loads (or reloads) `name` from the repository folder. A reload serves with the old model
    /// until the new one is ready, then drains the old one.
    public func load(_ name: String) async -> Result<Void, RequestError> {
        let result = await self.loadModel(name)
        Self.returnFreedMemory()
        return result
    }

    /// After a load or unload, whose frames held every reference to the model it replaced or
    /// removed (and to the loader's temporary buffers): glibc keeps freed memory in its arenas,
    /// so without this each reload of a large model would leave the old one's pages resident.
    private static func returnFreedMemory() {
        Heap.returnFreeMemory()
    }

    private func loadModel(_ name: String) async -> Result<Void, RequestError> {
        guard modelFolders().contains(name) else { return .failure(.notFound("no model '\(name)' in the repository")) }
        let start: Transition = entries.withLock { entries in
            if entries[name]?.state == .loading { return .busy }
            let old = entries[name]?.loaded
            entries[name] = Entry(state: .loading, loaded: old)
            return .begin(old)
        }
        guard case .begin(let old) = start else {
            return .failure(RequestError(status: 409, message: "model '\(name)' is already being loaded"))
        }
        return await finishLoad(name, replacing: old)
    }

    /// The first step of a load or unload, taken under the lock.
    private enum Transition {
        case busy
        case unknown
        case begin(LoadedModel?)
    }

    private func finishLoad(_ name: String, replacing old: LoadedModel?) async -> Result<Void, RequestError> {
        let loader = ModelLoader(options: options, targets: targets)
        do {
            let loaded = try await runOnThread(name: "zenith-load-\(name)") { try loader.load(name: name) }
            entries.withLock { $0[name] = Entry(state: .ready, loaded: loaded) }
        } catch {
            options.logger.error("model failed to load", metadata: ["model": "\(name)", "error": "\(error)"])
            entries.withLock {
                $0[name] = Entry(state: old == nil ? .unavailable : .ready, loaded: old, reason: "\(error)")
            }
            return .failure(.badRequest("failed to load '\(name)': \(error)"))
        }
        await old?.scheduler.drainAndStop()
        return .success(())
    }

    /// Stops serving `name`: new requests get 404, admitted ones finish, then its threads stop.
    /// Unloading a model that is not loaded succeeds.
    public func unload(_ name: String) async -> Result<Void, RequestError> {
        let result = await self.unloadModel(name)
        Self.returnFreedMemory()
        return result
    }

    private func unloadModel(_ name: String) async -> Result<Void, RequestError> {
        let known = modelFolders().contains(name)
        let start: Transition = entries.withLock { entries in
            guard let entry = entries[name] else { return known ? .begin(nil) : .unknown }
            guard entry.state != .loading else { return .busy }
            entries[name] = Entry(state: .unavailable, loaded: nil, reason: Self.unloadedReason)
            return .begin(entry.loaded)
        }
        switch start {
        case .unknown: return .failure(.notFound("no model '\(name)' in the repository"))
        case .busy: return .failure(RequestError(status: 409, message: "model '\(name)' is being loaded"))
        case .begin(let loaded):
            await loaded?.scheduler.drainAndStop()
            return .success(())
        }
    }

    /// Waits for graceful shutdown, then lets every model finish and stops its threads.
    public func run() async throws {
        try? await gracefulShutdown()
        let models = entries.withLock { entries in
            defer { for name in entries.keys { entries[name] = Entry(state: .unavailable, reason: "server stopping") } }
            return entries.values.compactMap(\.loaded)
        }
        for model in models { await model.scheduler.drainAndStop() }
    }
}
