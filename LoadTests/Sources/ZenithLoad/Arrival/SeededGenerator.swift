import Foundation

/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so the same
/// seed gives the same arrival trace in both modes of a comparison and across runs.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; equal seeds give equal sequences.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// An exponential variate with mean `1 / rate`.
    public mutating func nextExponential(rate: Double) -> Double {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -log(1 - nextUnit()) / rate
    }
}
