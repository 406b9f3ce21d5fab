import Foundation
import NIOCore
import NIOPosix
public import ZenithData
import ZenithHTTP

/// One `zenith-load run`: measures capacity when the rate needs it, builds the schedule once
/// (same seed, same trace for every mode), and runs it against each mode's server in turn.
public struct LoadSession: Sendable {
    /// The scenario.
    public var scenario: Scenario
    /// The modes to run, in order; one `.external` label for a given server.
    public var modes: [ServingMode]
    /// Where the servers come from.
    public var target: ServerTarget
    /// Connection options.
    public var options: RunOptions
    /// A capacity to use instead of measuring.
    public var givenCapacity: CapacityResult?
    /// How capacity is measured when it must be.
    public var probe: CapacityProbe
    /// Distinct images in the payload pool.
    public var poolSize: Int
    /// The Fashion-MNIST folder.
    public var dataset: String
    /// Labelled test data (`.npz`) when the scenario names none.
    public var data: String?
    /// Where server logs go.
    public var outputDirectory: String
    /// Client event-loop threads.
    public var clientThreads: Int
    /// Progress lines (stderr in the CLI).
    public var log: @Sendable (String) -> Void

    /// Creates a session.
    public init(
        scenario: Scenario, modes: [ServingMode], target: ServerTarget, options: RunOptions, givenCapacity: CapacityResult? = nil,
        probe: CapacityProbe = CapacityProbe(), poolSize: Int = 10_000, dataset: String = FashionMNIST.defaultDirectory,
        data: String? = nil, outputDirectory: String, clientThreads: Int = 2, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.scenario = scenario
        self.modes = modes
        self.target = target
        self.options = options
        self.givenCapacity = givenCapacity
        self.probe = probe
        self.poolSize = poolSize
        self.dataset = dataset
        self.data = data
        self.outputDirectory = outputDirectory
        self.clientThreads = clientThreads
        self.log = log
    }

    /// Runs every mode and returns the report (not yet written).
    public func run() async throws -> LoadReport {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let (images, shape) = try PayloadImages.load(data: scenario.data ?? data, dataset: dataset, inputShape: scenario.inputShape)
        let pool = PayloadPool(
            images: images, size: poolSize, model: scenario.model, inputShape: shape, classes: scenario.classes,
            encoding: scenario.encoding,
            imagesPerRequest: scenario.imagesPerRequest)
        // The same requests with their latency targets as Triton's `timeout`, for dense-timeout.
        let timeoutPool =
            modes.contains(where: \.sendsTimeout)
            ? PayloadPool(
                images: images, size: poolSize, model: scenario.model, inputShape: shape, classes: scenario.classes,
                encoding: scenario.encoding, imagesPerRequest: scenario.imagesPerRequest, tritonTimeout: true)
            : nil
        log(
            "encoded \(pool.imageCount) images: \(pool.size) requests of \(pool.imagesPerRequest) image(s) per class, "
                + "\(scenario.classes.count) class(es) (\(scenario.encoding.rawValue))")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, clientThreads))
        defer { group.shutdownGracefully { _ in } }

        let needsCapacity = scenario.rate.needsCapacity || scenario.sweep != nil
        var capacity: CapacityResult? = givenCapacity
        var entries: [LoadReport.Entry] = []
        var notes: [String] = []

        for mode in modes {
            let server = try await startServer(mode: mode)
            do {
                if needsCapacity && capacity == nil {
                    if mode != .dense, case .spawn = target {
                        // Capacity is a dense-only figure: measure it on a dense server of its own.
                        let dense = try await startServer(mode: .dense)
                        capacity = try await measureCapacity(at: dense.endpoint, pool: pool, group: group)
                        await dense.stop()
                    } else {
                        capacity = try await measureCapacity(at: server.endpoint, pool: pool, group: group)
                    }
                    if case .external = target {
                        notes.append("capacity was measured against the given endpoint: start it with --dense-only for the dense capacity")
                    }
                }
                if server.operatorEndpoint == nil && !scenario.actions.isEmpty {
                    notes.append("\(mode): the server has no operator API, so the timed set-target actions failed (see the actions)")
                }
                for point in try points(capacity: capacity?.requestsPerSecond) {
                    let schedule = RequestSchedule(scenario: scenario, rate: point.rate, poolSize: pool.size, duration: point.duration)
                    log("\(mode): \(schedule.count) requests over \(formatNumber(point.duration, 1)) s at \(formatNumber(point.rate, 0)) req/s\(point.multiple.map { " (\(formatNumber($0, 2))× capacity)" } ?? "")")
                    let runner = ScenarioRunner(
                        scenario: scenario, schedule: schedule, pool: mode.sendsTimeout ? timeoutPool! : pool, options: options)
                    let record = try await runner.run(
                        mode: mode.description, endpoint: server.endpoint, operatorEndpoint: server.operatorEndpoint,
                        durationSeconds: point.duration, eventLoopGroup: group, progress: RunProgress(report: log))
                    let entry = LoadReport.Entry(record: record, capacityMultiple: point.multiple, server: server.description)
                    log("\(mode): attainment \(formatPercent(entry.summary.attainment)), p99 \(formatNumber(entry.summary.latencyMs.p99, 2)) ms, served accuracy \(formatPercent(entry.summary.servedAccuracy)), late sends \(formatPercent(entry.summary.lateShare))")
                    entries.append(entry)
                    // A breath between points so that one point's backlog does not spill into the next.
                    try await Task.sleep(for: .seconds(1))
                }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
        return LoadReport(
            scenario: scenario, capacity: capacity, options: options, poolSize: pool.imageCount, entries: entries, notes: notes)
    }

    /// The offered loads to run: one, or one per sweep multiple.
    func points(capacity: Double?) throws -> [(rate: Double, duration: Double, multiple: Double?)] {
        if let sweep = scenario.sweep {
            guard let capacity else { throw ScenarioError("a sweep needs the capacity") }
            return sweep.multiples.map { (capacity * $0, sweep.pointSeconds, $0) }
        }
        let rate = try scenario.rate.requestsPerSecond(capacity: capacity)
        var multiple: Double?
        if case .capacityMultiple(let m) = scenario.rate { multiple = m }
        return [(rate, scenario.durationSeconds, multiple)]
    }

    private func measureCapacity(at endpoint: Endpoint, pool: PayloadPool, group: any EventLoopGroup) async throws -> CapacityResult {
        log("measuring dense capacity: closed loop, \(probe.concurrency) outstanding, \(formatNumber(probe.durationSeconds, 0)) s")
        let transport = try await ClientConnectionPool.connect(
            to: endpoint, count: options.connections, version: options.version, eventLoopGroup: group)
        let result = await probe.measure(
            transport: transport, requests: pool.requests[0], imagesPerRequest: pool.imagesPerRequest)
        await transport.close()
        log("dense capacity: \(formatNumber(result.requestsPerSecond, 0)) req/s of \(result.imagesPerRequest) image(s) (\(result.failed) failed)")
        guard result.requestsPerSecond > 0 else {
            throw ScenarioError("the capacity probe got no successful answers (\(result.failed) failed): is the model '\(scenario.model)' served?")
        }
        return result
    }

    private func startServer(mode: ServingMode) async throws -> RunningTarget {
        switch target {
        case .external(let endpoint, let operatorEndpoint):
            return RunningTarget(endpoint: endpoint, operatorEndpoint: operatorEndpoint, process: nil)
        case .spawn(let zenith, let extra):
            let modeArguments = mode.serverArguments(model: scenario.model)
            log("starting \(([zenith, "serve"] + modeArguments).joined(separator: " ")) ...")
            let process = try await ServerProcess.start(
                executable: zenith, modeArguments: modeArguments, extraArguments: extra,
                logPath: "\(outputDirectory)/server-\(mode.description.replacingOccurrences(of: ":", with: "-")).log")
            log("\(mode) server on \(process.endpoint), operator API \(process.operatorEndpoint?.description ?? "absent")")
            return RunningTarget(endpoint: process.endpoint, operatorEndpoint: process.operatorEndpoint, process: process)
        }
    }
}

/// A server the session is using, and the process to stop if the session started it.
private struct RunningTarget: Sendable, CustomStringConvertible {
    var endpoint: Endpoint
    var operatorEndpoint: Endpoint?
    var process: ServerProcess?

    func stop() async { await process?.stop() }

    var description: String { process?.commandLine ?? "external \(endpoint)" }
}
