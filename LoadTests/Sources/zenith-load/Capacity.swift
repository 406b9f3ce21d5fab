import ArgumentParser
import Foundation
import NIOPosix
import ZenithData
import ZenithHTTP
import ZenithJSON
import ZenithLoad

/// `zenith-load capacity`: the dense capacity of a model (closed loop against --dense-only).
struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the dense capacity: closed loop with N requests outstanding against zenith serve --dense-only.")

    @Option(help: "The model.")
    var model: String

    @Option(help: "Labelled test data (.npz: x, y, optionally split); without it, Fashion-MNIST's IDX files.")
    var data: String?

    @Option(help: "The model's per-sample input shape, e.g. 1,28,28 (default: the .npz's).")
    var inputShape: String?

    @Option(help: "json or binary payloads (grpc with --protocol grpc).")
    var encoding = "binary"

    @Option(help: "Test images in each request's input batch (the capacity is in requests of this size).")
    var imagesPerRequest = 1

    @Option(help: "Requests kept outstanding.")
    var concurrency = 256

    @Option(help: "Seconds counted (after the warm-up).")
    var duration = 10.0

    @Option(help: "Seconds of warm-up before counting.")
    var warmup = 2.0

    @Option(help: "The Fashion-MNIST folder.")
    var dataset = FashionMNIST.defaultDirectory

    @Option(help: "Write the result as JSON here too.")
    var json: String?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard PayloadEncoding(rawValue: encoding) != nil else {
            throw ValidationError("--encoding must be json, binary or grpc")
        }
        guard imagesPerRequest >= 1 else { throw ValidationError("--images-per-request must be at least 1") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive, --warmup ≥ 0") }
    }

    func run() async throws {
        let shape = try inputShape.map { text in
            let dims = text.split(separator: ",").compactMap { Int($0) }
            guard !dims.isEmpty, dims.count == text.split(separator: ",").count, dims.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--input-shape takes positive integers separated by commas, e.g. 1,28,28")
            }
            return dims
        }
        let (images, dims) = try PayloadImages.load(data: data, dataset: dataset, inputShape: shape)
        // Generous targets: the dense server ignores them, and they must never make it refuse.
        let slo = SLOClass(name: "capacity", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.01)
        let pool = PayloadPool(
            images: images, size: 1000, model: model, inputShape: dims, classes: [slo], encoding: connection.wireProtocol == .grpc ? .grpc : PayloadEncoding(rawValue: encoding)!,
            imagesPerRequest: imagesPerRequest)
        let options = try connection.runOptions()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: connection.clientThreads)
        let (endpoint, process) = try await connection.denseServer(logPath: "/tmp/zenith-load-capacity.log")
        let result = try await measure(at: endpoint, requests: pool.requests[0], options: options, group: group)
        await process?.stop()
        try await group.shutdownGracefully()
        print(
            "\(model): dense capacity \(String(format: "%.0f", result.requestsPerSecond)) req/s of \(imagesPerRequest) "
                + "image(s) (\(String(format: "%.0f", result.imagesPerSecond)) images/s)")
        print("method: \(result.method)")
        if let json {
            try (result.fileJSON(model: model).serialized(pretty: true) + "\n")
                .write(toFile: json, atomically: true, encoding: .utf8)
        }
    }

    /// Connects, measures and closes. In a function of its own so that the connections are
    /// released when it returns: a connection released after `group.shutdownGracefully()`
    /// closes its channel from its deinit, which schedules onto the dead event loop (NIO prints
    /// "Cannot schedule tasks on an EventLoop that has already shut down" per connection).
    private func measure(
        at endpoint: Endpoint, requests: [HTTPRequest], options: RunOptions, group: MultiThreadedEventLoopGroup
    ) async throws -> CapacityResult {
        let transport = try await ClientConnectionPool.connect(
            to: endpoint, count: options.connections, version: options.version, eventLoopGroup: group)
        let result = await CapacityProbe(concurrency: concurrency, durationSeconds: duration, warmupSeconds: warmup)
            .measure(transport: transport, requests: requests, imagesPerRequest: imagesPerRequest)
        await transport.close()
        return result
    }
}
