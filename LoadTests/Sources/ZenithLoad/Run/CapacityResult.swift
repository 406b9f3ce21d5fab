/// A capacity measurement and how it was made.
public struct CapacityResult: Sendable, Equatable {
    /// Successful answers per second in the counted window.
    public var requestsPerSecond: Double
    /// Images per request it was measured with: the capacity holds for requests of that size only.
    public var imagesPerRequest: Int
    /// Successful answers counted.
    public var answered: Int
    /// Failed answers counted (should be 0 against a dense-only server).
    public var failed: Int
    /// Requests kept outstanding.
    public var concurrency: Int
    /// Connections they were spread over.
    public var connections: Int
    /// Seconds counted.
    public var durationSeconds: Double
    /// Seconds of warm-up before counting.
    public var warmupSeconds: Double
    /// `measured` (closed loop), or `given` (`--capacity`).
    public var source: String = "measured"
    /// For a given capacity: how it was obtained, if known (from `zenith-load capacity --json`).
    public var givenMethod: String?

    /// Creates a result.
    public init(
        requestsPerSecond: Double, answered: Int, failed: Int, concurrency: Int, connections: Int,
        durationSeconds: Double, warmupSeconds: Double, imagesPerRequest: Int = 1, source: String = "measured"
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.imagesPerRequest = imagesPerRequest
        self.answered = answered
        self.failed = failed
        self.concurrency = concurrency
        self.connections = connections
        self.durationSeconds = durationSeconds
        self.warmupSeconds = warmupSeconds
        self.source = source
    }

    /// Images answered per second (`requestsPerSecond` × `imagesPerRequest`).
    public var imagesPerSecond: Double { requestsPerSecond * Double(imagesPerRequest) }

    /// A capacity the operator gave instead of measuring.
    ///
    /// - Parameters:
    ///   - rate: requests per second.
    ///   - imagesPerRequest: the request size the rate holds for.
    ///   - method: how it was measured, when it comes from a `zenith-load capacity --json` file.
    public static func given(_ rate: Double, imagesPerRequest: Int = 1, method: String? = nil) -> CapacityResult {
        var result = CapacityResult(
            requestsPerSecond: rate, answered: 0, failed: 0, concurrency: 0, connections: 0, durationSeconds: 0,
            warmupSeconds: 0, imagesPerRequest: imagesPerRequest, source: "given")
        result.givenMethod = method
        return result
    }

    /// One sentence for the report: how the figure was obtained.
    public var method: String {
        if source == "given" {
            guard let givenMethod else { return "given on the command line (--capacity), not measured in this run" }
            return "measured before this run by `zenith-load capacity`: \(givenMethod)"
        }
        return "closed loop against `zenith serve --dense-only`: \(concurrency) requests of \(imagesPerRequest) "
            + "image\(imagesPerRequest == 1 ? "" : "s") kept outstanding over "
            + "\(connections) connections (each answer sends the next), answers counted for "
            + "\(formatNumber(durationSeconds, 1)) s after \(formatNumber(warmupSeconds, 1)) s of warm-up; "
            + "\(answered) answered, \(failed) failed"
    }
}
