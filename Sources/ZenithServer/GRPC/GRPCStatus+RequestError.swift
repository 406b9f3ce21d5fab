package import ZenithGRPC

/// The gRPC status of each answer REST gives as an error.
extension GRPCStatus {
    /// The status of a request REST would answer with `error`: the code follows the HTTP status
    /// (400 invalid argument, 404 not found, 429 resource exhausted, 503 unavailable, 504
    /// deadline exceeded, 499 cancelled, ...), the message and reason are the same.
    package init(_ error: RequestError) {
        self.init(
            Self.code(httpStatus: error.status), error.message, reason: error.reason,
            retryAfterSeconds: error.retryAfterSeconds)
    }

    /// The status of a request the scheduler answered without outputs. As over REST, except
    /// that a request whose latency target passed while queued is DEADLINE_EXCEEDED (REST says
    /// 429, as it would have refused the request on arrival had it known).
    package init(_ failure: InferenceFailure) {
        self.init(failure.requestError)
        if case .expired = failure { self.code = .deadlineExceeded }
    }
}
