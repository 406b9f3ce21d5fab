import Foundation
import Logging
import Prometheus
import Testing
import ZenithData
import ZenithExecutor
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// `zenith serve` in this process on an ephemeral loopback port, with the real `Models/` and
/// `Profiles/` of this checkout and a Prometheus registry of its own.
struct RunningServer: Sendable {
    var application: ZenithApplication
    var port: Int
    /// The operator API's port, when it was asked for.
    var operatorPort: Int?
    var registry: PrometheusCollectorRegistry
    var running: Task<Void, any Error>

    /// Starts a server on a repository of `models` (a temporary folder of symbolic links; by
    /// default the two small Fashion-MNIST models, whose requests these tests build, so a test
    /// server does not warm up every larger model of `Models/`); `operator` adds the operator
    /// API's listener (use port 0).
    static func start(
        models: [String] = ["fashion-cnn", "fashion-mlp"], mode: SchedulingMode = .controller,
        staticPlans: [String: String] = [:], warmupIterations: Int = 1,
        maxBodyBytes: Int = 4 << 20, operator operatorConfiguration: OperatorConfiguration? = nil
    ) async throws -> RunningServer {
        let repository = "\(repositoryRoot)/Models"
        // Without a profile the server measures accuracy on 5000 images per plan: minutes in a debug build.
        for model in models {
            let profile = "\(repositoryRoot)/Models/\(model)/1/accuracy.json"
            guard FileManager.default.fileExists(atPath: profile) else {
                throw TestFailure("\(profile) is missing: run `.build/release/zenith profile --model \(model)`")
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-repo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for model in models {
            try FileManager.default.createSymbolicLink(atPath: "\(directory)/\(model)", withDestinationPath: "\(repository)/\(model)")
        }
        // Decompressing the test set and loading the reference models block: not on the cooperative pool.
        try await runOnThread(name: "zenith-test-data") {
            _ = TestImages.test
            _ = ReferenceModels.models
        }
        let registry = PrometheusCollectorRegistry()
        let logger = Logger(label: "zenith.server.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let application = try await ZenithApplication(
            repository: ModelRepositoryOptions(
                directory: directory, profiles: "\(repositoryRoot)/Profiles", workers: 1, mode: mode, staticPlans: staticPlans,
                warmupIterations: warmupIterations,
                metricsFactory: PrometheusMetricsFactory(registry: registry), logger: logger),
            // Its own event loop: decoding and encoding the tensors of a test's requests would
            // otherwise hold up the other tests' connections on the shared loops.
            http: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, eventLoopThreads: 1),
            operator: operatorConfiguration, blasThreads: 1, signals: [],
            metricsExposition: { registry.emitToBuffer() }, modelControl: .explicit, logger: logger)
        let running = Task { try await application.run() }
        let port = try await application.listeningPort()
        let operatorPort = operatorConfiguration?.listens == true ? try await application.operatorListeningPort() : nil
        return RunningServer(
            application: application, port: port, operatorPort: operatorPort, registry: registry, running: running)
    }

    /// Graceful shutdown; returns once `run()` has.
    func stop() async throws {
        await application.triggerGracefulShutdown()
        try await running.value
    }

    /// The one server the integration suite shares (loading and warming up is the slow part).
    /// Without the warm-up: a debug build's warm-up of every plan is seconds of CPU that other
    /// suites' timing-sensitive tests would share (the small servers of other suites warm up).
    static let shared = Task { try await start(warmupIterations: 0) }
}

/// Real Fashion-MNIST test images with their labels.
enum TestImages {
    static let test: LabelledImages = {
        do {
            return try FashionMNIST.load(.test)
        } catch {
            fatalError("the Fashion-MNIST test set is needed (scripts/setup.sh installs it): \(error)")
        }
    }()

    /// Images `range` as the model wants them, back to back.
    static func pixels(_ range: Range<Int>) -> [Float] { Array(test.pixels(range)) }
    static func labels(_ range: Range<Int>) -> [Int] { Array(test.labels[range]) }
}

/// The models loaded here too, to recompute what the server answered.
enum ReferenceModels {
    static let models: [String: Model] = {
        var models: [String: Model] = [:]
        for name in ["fashion-cnn", "fashion-mlp"] {
            models[name] = try? Model(directory: "\(repositoryRoot)/Models/\(name)")
        }
        return models
    }()

    /// The classes the executor predicts for test images `images`, image `i` with `plans[i]`, one
    /// image at a time (batch composition must not matter). Runs on a thread of its own: the
    /// executor blocks, and the test tasks share a cooperative pool with the transport's tests.
    static func predictions(model name: String, plans: [String], images: Range<Int>) async throws -> [Int] {
        let model = try #require(models[name])
        let indices = try plans.map { try #require(model.planIndex(named: $0), "no plan \($0)") }
        return try await runOnThread(name: "zenith-test-reference") {
            let executor = Executor(model: model)
            var output: [Float] = []
            var classes: [Int] = []
            for (image, plan) in zip(images, indices) {
                _ = try executor.run(plan: plan, input: Array(TestImages.test.pixels(image..<(image + 1))), batch: 1, output: &output)
                classes += ZenithServerTests.predictions(output)
            }
            return classes
        }
    }
}

/// A JSON inference request for images `range`.
func jsonInferRequest(
    model: String, _ range: Range<Int>, id: String? = nil, outputs: JSONValue? = nil, parameters: JSONObject = [:]
) -> [UInt8] {
    let dims: [Int] = model == "fashion-cnn" ? [1, 28, 28] : [784]
    var request: JSONObject = [
        "inputs": [
            [
                "name": "input", "datatype": "FP32", "shape": JSONValue([range.count] + dims),
                "data": .array(TestImages.pixels(range).map { .double(Double($0)) }),
            ]
        ]
    ]
    if let id { request["id"] = .string(id) }
    if let outputs { request["outputs"] = outputs }
    if parameters.count > 0 { request["parameters"] = .object(parameters) }
    return Array(JSONValue.object(request).serialized().utf8)
}

/// A binary-extension request for images `range`, asking for binary logits.
func binaryInferRequest(model: String, _ range: Range<Int>) -> (body: [UInt8], headers: [(String, String)]) {
    let dims: [Int] = model == "fashion-cnn" ? [1, 28, 28] : [784]
    let header: JSONValue = [
        "inputs": [
            [
                "name": "input", "datatype": "FP32", "shape": JSONValue([range.count] + dims),
                "parameters": ["binary_data_size": JSONValue(range.count * 784 * 4)],
            ]
        ],
        "outputs": [["name": "logits", "parameters": ["binary_data": true]]],
    ]
    let (body, length) = binaryBody(header, littleEndianBytes(TestImages.pixels(range)))
    return (body, [("Inference-Header-Content-Length", String(length)), ("content-type", "application/octet-stream")])
}

/// Reads the logits of a response, JSON or binary.
func responseLogits(_ response: TestResponse) throws -> (logits: [Float], json: JSONValue) {
    let length = response.headers["inference-header-content-length"].flatMap { Int($0) } ?? response.body.count
    let json = try JSONValue(parsing: response.body[..<length])
    let output = try #require(json["outputs"]?.arrayValue?.first)
    if let data = output["data"]?.arrayValue {
        return (data.compactMap(\.doubleValue).map(Float.init), json)
    }
    let bytes = Array(response.body[length...])
    let logits = stride(from: 0, to: bytes.count, by: 4).map { i in
        Float(
            bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3])
                << 24)
    }
    return (logits, json)
}

/// Index of the largest of each row of 10.
func predictions(_ logits: [Float]) -> [Int] {
    stride(from: 0, to: logits.count, by: 10).map { start in
        let row = logits[start..<(start + 10)]
        return row.indices.max { row[$0] < row[$1] }! - start
    }
}

/// A generous latency target so the test does not depend on how busy the machine is.
let relaxed: (String, String) = ("zenith-latency-target-ms", "60000")
