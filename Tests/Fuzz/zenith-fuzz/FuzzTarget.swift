/// One fuzz target: a function from arbitrary bytes to "accepted or refused", which must never
/// trap, crash or hang whatever the bytes.
///
/// A refusal is a normal outcome (that is what the code under test is for); only a trap is a
/// finding. libFuzzer sees traps as crashes, and a replay of the corpus sees them as a failed run.
protocol FuzzTarget {
    /// The name on the command line and of the corpus folder (`Tests/Fuzz/corpus/<name>`).
    static var name: String { get }
    /// Prepares what every input shares (configs, weights); called once before the first input.
    init() throws
    /// Runs one input through the code under test.
    func run(_ input: [UInt8])
}

enum FuzzTargets {
    static var all: [any FuzzTarget.Type] {
        [RequestTarget.self, ConnectionTarget.self, SafeTensorsTarget.self, ModelConfigTarget.self, ModelTarget.self]
    }

    static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}
