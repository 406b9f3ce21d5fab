/// What happened to one operator call of a run, or to one interval of interference (its command
/// line as the body, status 200 once it ran).
public struct ActionRecord: Sendable, Equatable {
    /// When it was due, seconds from the start (negative: set-up before the run).
    public var atSeconds: Double
    /// When it was answered, seconds from the start.
    public var doneSeconds: Double?
    /// The request body sent.
    public var body: String
    /// The HTTP status, or `nil` when no answer came.
    public var status: Int?
    /// The answer's body (or the reason there was none).
    public var message: String

    /// Whether the server accepted it.
    public var succeeded: Bool { status == 200 }

    /// Creates a record.
    public init(atSeconds: Double, doneSeconds: Double?, body: String, status: Int?, message: String) {
        self.atSeconds = atSeconds
        self.doneSeconds = doneSeconds
        self.body = body
        self.status = status
        self.message = message
    }
}
