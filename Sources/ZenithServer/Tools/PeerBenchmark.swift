import Foundation
public import ZenithData
public import ZenithExecutor
public import ZenithJSON

/// Zenith's executor against ONNX Runtime on the same dense network, the same weights and the
/// same inputs, timed in alternating rounds within one run (so machine noise hits both).
public struct PeerBenchmark {
    public struct Result: Sendable {
        public var batch: Int
        public var rounds: Int
        public var iterationsPerRound: Int
        /// Median over rounds of the mean time per batch.
        public var zenithMicroseconds: Double
        public var onnxRuntimeMicroseconds: Double
        /// Largest absolute difference between the two engines' logits.
        public var maxAbsoluteDifference: Double
        public var ratio: Double { zenithMicroseconds / onnxRuntimeMicroseconds }

        public var json: JSONValue {
            [
                "batch": JSONValue(batch), "rounds": JSONValue(rounds), "iterations": JSONValue(iterationsPerRound),
                "zenith_us": .double(Profiler.rounded(zenithMicroseconds, 2)),
                "onnxruntime_us": .double(Profiler.rounded(onnxRuntimeMicroseconds, 2)),
                "ratio": .double(Profiler.rounded(ratio, 3)),
                "max_abs_diff": .double(maxAbsoluteDifference),
            ]
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public var model: Model
    /// A Python interpreter that has onnxruntime and numpy.
    public var python: String
    /// `LoadTests/peer/ort_peer.py`.
    public var helper: String

    public init(model: Model, python: String, helper: String) {
        self.model = model
        self.python = python
        self.helper = helper
    }

    /// Times the dense plan against ONNX Runtime, one BLAS/ORT thread each.
    public func run(images: LabelledImages, batch: Int, rounds: Int = 15, targetRoundSeconds: Double = 0.1) throws -> Result {
        let onnx = "\(model.directory)/\(model.config.version)/model.onnx"
        guard FileManager.default.fileExists(atPath: onnx) else { throw Failure(description: "\(onnx): file not found") }
        let input = Array(images.pixels(0..<batch))
        let inputPath = NSTemporaryDirectory() + "zenith-bench-\(ProcessInfo.processInfo.processIdentifier).f32"
        // Raw little-endian float32, as numpy.fromfile reads it.
        var bytes = Data(capacity: input.count * 4)
        for value in input {
            let bits = value.bitPattern
            bytes.append(contentsOf: [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)])
        }
        try bytes.write(to: URL(fileURLWithPath: inputPath))
        defer { try? FileManager.default.removeItem(atPath: inputPath) }

        let shape = ([batch] + model.config.inputs[0].dims).map(String.init).joined(separator: ",")
        let peer = try PeerProcess(python: python, arguments: [helper, "--model", onnx, "--input", inputPath, "--shape", shape])
        defer { peer.stop() }
        guard try peer.readLine() == "ready" else { throw Failure(description: "the ONNX Runtime helper did not start") }

        BLAS.setThreadCount(1)
        let executor = Executor(model: model, maxBatch: batch)
        var output: [Float] = []
        _ = try executor.run(plan: 0, input: input, batch: batch, output: &output)

        // Same weights and inputs: the outputs must agree before the timings mean anything.
        try peer.send("outputs")
        let peerOutput = try JSONValue(parsing: try peer.readLine()).arrayValue?.compactMap(\.doubleValue) ?? []
        guard peerOutput.count == output.count else { throw Failure(description: "ONNX Runtime returned \(peerOutput.count) logits, expected \(output.count)") }
        let difference = zip(output, peerOutput).map { abs(Double($0) - $1) }.max() ?? 0

        // Size a round from one warm timing so both engines run ~targetRoundSeconds each.
        let probe = try timeZenith(executor, input: input, batch: batch, iterations: 20, output: &output)
        let iterations = max(10, Int(targetRoundSeconds / max(probe / 20, 1e-7)))
        var zenith: [Double] = []
        var peerTimes: [Double] = []
        for _ in 0..<rounds {
            zenith.append(try timeZenith(executor, input: input, batch: batch, iterations: iterations, output: &output) / Double(iterations))
            try peer.send("run \(iterations)")
            guard let nanoseconds = Double(try peer.readLine()) else { throw Failure(description: "bad reply from the ONNX Runtime helper") }
            peerTimes.append(nanoseconds / 1e9 / Double(iterations))
        }
        try? peer.send("quit")
        return Result(
            batch: batch, rounds: rounds, iterationsPerRound: iterations,
            zenithMicroseconds: median(zenith) * 1e6, onnxRuntimeMicroseconds: median(peerTimes) * 1e6,
            maxAbsoluteDifference: difference)
    }

    /// Seconds for `iterations` dense runs, measured around the calls as the peer's are.
    private func timeZenith(_ executor: Executor, input: [Float], batch: Int, iterations: Int, output: inout [Float]) throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<iterations { _ = try executor.run(plan: 0, input: input, batch: batch, output: &output) }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

/// A child process spoken to one line at a time over its standard input and output.
final class PeerProcess {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    init(python: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    func send(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    func readLine() throws -> String {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw PeerBenchmark.Failure(description: "the ONNX Runtime helper exited (is onnxruntime installed for \(process.executableURL?.path ?? "python")?)")
            }
            buffered.append(contentsOf: chunk)
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
