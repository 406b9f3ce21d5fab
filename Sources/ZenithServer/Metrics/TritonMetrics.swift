import CoreMetrics

/// Triton Inference Server's per-model counters (`nv_inference_*{model, version}`), emitted beside
/// Zenith's own so that a dashboard or alert written for Triton reads Zenith unchanged. Same
/// meanings as Triton's: a request is a call, an inference is a sample, an execution is a batch;
/// durations are cumulative microseconds.
final class TritonMetrics: Sendable {
    static let helpTexts: [String: String] = [
        "nv_inference_request_success": "Successful inference requests (Triton's name).",
        "nv_inference_request_failure": "Failed inference requests (Triton's name).",
        "nv_inference_count": "Inferences performed: samples, a batch of n counting n (Triton's name).",
        "nv_inference_exec_count": "Model executions performed: batches (Triton's name).",
        "nv_inference_request_duration_us": "Cumulative inference request duration in microseconds (Triton's name).",
        "nv_inference_queue_duration_us": "Cumulative inference queuing duration in microseconds (Triton's name).",
        "nv_inference_compute_infer_duration_us": "Cumulative compute inference duration in microseconds (Triton's name).",
    ]

    private let success: Counter
    private let failure: Counter
    private let inferences: Counter
    private let executions: Counter
    private let requestMicros: Counter
    private let queueMicros: Counter
    private let computeMicros: Counter

    init(model: String, version: String, factory: any MetricsFactory) {
        let labels = [("model", model), ("version", version)]
        func counter(_ name: String) -> Counter { Counter(label: name, dimensions: labels, factory: factory) }
        success = counter("nv_inference_request_success")
        failure = counter("nv_inference_request_failure")
        inferences = counter("nv_inference_count")
        executions = counter("nv_inference_exec_count")
        requestMicros = counter("nv_inference_request_duration_us")
        queueMicros = counter("nv_inference_queue_duration_us")
        computeMicros = counter("nv_inference_compute_infer_duration_us")
    }

    func served(samples: Int, totalNanos: UInt64, queueNanos: UInt64) {
        success.increment()
        inferences.increment(by: samples)
        requestMicros.increment(by: Int64(clamping: totalNanos / 1_000))
        queueMicros.increment(by: Int64(clamping: queueNanos / 1_000))
    }

    func failed(totalNanos: UInt64) {
        failure.increment()
        requestMicros.increment(by: Int64(clamping: totalNanos / 1_000))
    }

    func executed(computeNanos: UInt64) {
        executions.increment()
        computeMicros.increment(by: Int64(clamping: computeNanos / 1_000))
    }
}
