import Testing
import ZenithCore

@testable import ZenithServer

/// The handshake between admission and a departing client: whichever comes second withdraws
/// the samples.
@Suite struct PendingInferenceTests {
    private func failure(of outcome: PendingInference.Outcome) -> InferenceFailure? {
        if case .failure(let failure) = outcome { return failure }
        return nil
    }

    private func request() throws -> InferenceRequest {
        try InferenceRequestDecoder(config: testConfig(dims: [2])).decode(
            body: Array(#"{"inputs": [{"name": "input", "shape": [3, 2], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}]}"#.utf8),
            headers: .init())
    }

    @Test func cancelledAfterAdmissionReturnsTheIdsToWithdraw() async throws {
        let request = try request()
        let outcome = await withCheckedContinuation { continuation in
            let pending = PendingInference(request: request, elementsPerSample: 2, classes: 10, continuation: continuation)
            #expect(pending.admitted(ids: 7..<10, deadline: .distantFuture))
            #expect(pending.markCancelled() == 7..<10)
            pending.fail(.cancelled)
            // Answered: a second cancellation has nothing to withdraw.
            #expect(pending.markCancelled() == nil)
        }
        #expect(failure(of: outcome) == .cancelled)
    }

    @Test func cancelledBeforeAdmissionIsSeenByAdmission() async throws {
        let request = try request()
        let outcome = await withCheckedContinuation { continuation in
            let pending = PendingInference(request: request, elementsPerSample: 2, classes: 10, continuation: continuation)
            #expect(pending.markCancelled() == nil)
            #expect(!pending.admitted(ids: 1..<4, deadline: .distantFuture))
            pending.fail(.cancelled)
        }
        #expect(failure(of: outcome) == .cancelled)
    }
}
