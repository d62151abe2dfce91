// A counter-based random number generator: every draw is a pure function of (seed, stream, index), so
// results never depend on call order, thread count or where a run was resumed.

/// Random values keyed by (seed, stream, index). Streams separate uses (init, shuffle, dropout, data).
public struct CounterRNG: Sendable, Equatable {
    public let seed: UInt64
    public let stream: UInt64

    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
    }

    /// A sub-stream, e.g. one per parameter tensor or per epoch.
    public func substream(_ id: UInt64) -> CounterRNG {
        CounterRNG(seed: seed, stream: Self.mix(stream &+ 0x9E37_79B9_7F4A_7C15 &* (id &+ 1)))
    }

    /// 64 random bits for `index`.
    @inlinable
    public func bits(_ index: UInt64) -> UInt64 {
        Self.mix(Self.mix(seed ^ 0xD1B5_4A32_D192_ED03) ^ Self.mix(stream &+ 0x8CB9_2BA7_2F3D_8DD7) &+ index &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 24 bits (exactly representable as Float).
    @inlinable
    public func uniform(_ index: UInt64) -> Float {
        Float(bits(index) >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 bits.
    @inlinable
    public func uniformDouble(_ index: UInt64) -> Double {
        Double(bits(index) >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal draw (Box-Muller on two uniforms at 2·index and 2·index+1).
    public func normal(_ index: UInt64) -> Double {
        let u1 = max(uniformDouble(2 &* index), 1e-300), u2 = uniformDouble(2 &* index &+ 1)
        return (-2 * PortableMath.log(u1)).squareRoot() * PortableMath.cos(2 * Double.pi * u2)
    }

    /// SplitMix64's finaliser.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A permutation of 0..<count (Fisher-Yates driven by this stream).
    public func permutation(_ count: Int) -> [Int] {
        var result = Array(0..<count)
        guard count > 1 else { return result }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(bits(UInt64(i)) % UInt64(i + 1))
            result.swapAt(i, j)
        }
        return result
    }
}
