import Foundation
import Testing
import ZenithCore
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

// MARK: - A model interface without weights, for the codecs

/// A config shaped like the real models: one FP32 input of `dims`, logits of 10 classes.
func testConfig(dims: [Int] = [784], maxBatchSize: Int = 4, name: String = "m") -> ModelConfig {
    ModelConfig(
        name: name, version: 1, maxBatchSize: maxBatchSize, labelsFile: "labels.txt",
        inputs: [TensorSpec(name: "input", datatype: .fp32, dims: dims)],
        outputs: [TensorSpec(name: "logits", datatype: .fp32, dims: [10])],
        graph: GraphSpec(input: "input", output: "logits", nodes: []), plans: [PlanSpec(name: "dense")],
        sloDefaults: SLOTargets(latencyTargetMs: 10, accuracyTarget: 0.9), infeasiblePolicy: .reject,
        batching: BatchingSpec(maxBatchSize: maxBatchSize, maxQueueDelayMicroseconds: 500),
        validation: ValidationSplit(source: "train", start: 0, count: 0))
}

/// `count` floats 0, 0.001, 0.002, ...: finite, distinct, exact in JSON.
func ramp(_ count: Int) -> [Float] { (0..<count).map { Float($0) / 1000 } }

/// The JSON text of `value`.
func text(_ value: JSONValue) -> String { value.serialized() }

/// Little-endian FP32 bytes, as numpy's `tobytes()` writes them.
func littleEndianBytes(_ floats: [Float]) -> [UInt8] {
    floats.flatMap { value -> [UInt8] in
        let bits = value.bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }
}

/// A binary-extension body: the JSON header, then `binary`; with the header length to send.
func binaryBody(_ header: JSONValue, _ binary: [UInt8]) -> (body: [UInt8], headerLength: Int) {
    let json = Array(header.serialized().utf8)
    return (json + binary, json.count)
}

/// Decodes with `decoder`, recording an issue (at the caller) if it fails.
func decodeOK(
    _ decoder: InferenceRequestDecoder, _ body: [UInt8], headers: HTTPHeaderList = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> InferenceRequest {
    do {
        return try decoder.decode(body: body, headers: headers)
    } catch {
        Issue.record("decoding failed: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The error decoding `body` gives; records an issue if it succeeds.
func decodeError(
    _ decoder: InferenceRequestDecoder, _ body: [UInt8], headers: HTTPHeaderList = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> RequestError? {
    do {
        let request = try decoder.decode(body: body, headers: headers)
        Issue.record("expected an error, decoded \(request.batchSize) samples", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

// MARK: - The repository

/// The checkout this file belongs to (Tests/ZenithServerTests/ is two levels down).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The name of `model`'s most accurate plan (on validation) on a running server: the one a
/// request asking for the best accuracy gets. Not necessarily dense: an early exit can beat it.
func mostAccuratePlan(_ server: RunningServer, model: String) throws -> String {
    let loaded = try #require(server.application.repository.loadedModels.first { $0.name == model })
    let plans = loaded.scheduler.snapshot.plans
    return try #require(plans.max { $0.expectedAccuracy < $1.expectedAccuracy }?.name)
}
