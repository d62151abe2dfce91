// numpy's legacy `np.random.RandomState` (the global `np.random.seed` / `randint` / `choice` generator), exactly,
// for the few draws MMAction2 1.x's `UniformSampleFrames` makes in test mode.
//
// What numpy does (numpy 2.4, `numpy/random/`; the legacy algorithms have not changed since numpy 1.17):
// 1. `seed(n)` for an int 0 <= n < 2^32 (`_mt19937.pyx` `_legacy_seeding` -> `mt19937_seed`, `src/mt19937/mt19937.c`):
//    Knuth's initialiser key[0] = n, key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >> 30)) + i (mod 2^32), pos = 624,
//    so the first draw regenerates the whole state.
// 2. `next_uint32` is the reference MT19937 `genrand_int32` with its tempering; `next_double` (random_sample) is
//    (a * 2^26 + b) / 2^53 with a = next >> 5, b = next >> 6.
// 3. `randint(high)` with the default dtype int64 (`mtrand.pyx` -> `_bounded_integers.pyx` `_rand_int64`, masked = True):
//    per element rng = high - 1; rng == 0 gives 0 without a draw; rng < 2^32 - 1 draws 32-bit words and rejects
//    (word & mask) > rng, mask = the smallest 2^k - 1 >= rng (`buffered_bounded_masked_uint32`); rng == 2^32 - 1 takes
//    one word; larger ranges use 64-bit words (hi << 32 | lo) with the same masked rejection.
//    Scalar and array `high` draw identically for int64 (the 32-bit path keeps no buffer).
// 4. `choice(n, size, replace=False)` without `p` is `permutation(n)[:size]`: it consumes the whole shuffle even
//    when size is 0. `permutation(n)` shuffles arange(n) with the legacy Fisher–Yates (`_shuffle_raw`):
//    for i = n-1 down to 1, j = random_interval(i) (masked rejection, 32-bit words when i < 2^32), swap(i, j).
// Nothing here uses floating point except `randomSample`.

/// numpy's legacy `RandomState` (MT19937), bit for bit. A value type: copying it forks the stream.
public struct NumpyRandomState: Sendable, Equatable {
    static let stateLength = 624
    static let shift = 397
    static let matrixA: UInt32 = 0x9908_b0df
    static let upperMask: UInt32 = 0x8000_0000
    static let lowerMask: UInt32 = 0x7fff_ffff

    var key: [UInt32]
    var position: Int

    /// `np.random.seed(seed)` / `RandomState(seed)` for an integer seed.
    /// - Parameter seed: 0 ..< 2^32, as numpy requires (it raises ValueError outside).
    public init(seed: UInt32) {
        key = [UInt32](repeating: 0, count: Self.stateLength)
        var value = seed
        for index in 0..<Self.stateLength {
            key[index] = value
            value = 1_812_433_253 &* (value ^ (value >> 30)) &+ UInt32(index + 1)
        }
        position = Self.stateLength
    }

    // MARK: - Raw words

    /// The next 32-bit word (`mt19937_next`).
    public mutating func nextUInt32() -> UInt32 {
        if position == Self.stateLength { regenerate() }
        var y = key[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// The next 64-bit word: the first 32-bit word is the high half (`mt19937_next64`).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    /// `random_sample()`: a double in [0, 1) from 53 random bits.
    public mutating func randomSample() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    mutating func regenerate() {
        let n = Self.stateLength, m = Self.shift
        func twist(_ i: Int, _ next: Int, _ far: Int) {
            let y = (key[i] & Self.upperMask) | (key[next] & Self.lowerMask)
            key[i] = key[far] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : Self.matrixA)
        }
        for i in 0..<(n - m) { twist(i, i + 1, i + m) }
        for i in (n - m)..<(n - 1) { twist(i, i + 1, i + m - n) }
        twist(n - 1, 0, m - 1)
        position = 0
    }

    // MARK: - Bounded integers

    /// The smallest 2^k - 1 >= value (numpy `gen_mask`).
    static func mask(_ value: UInt64) -> UInt64 {
        var mask = value
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        return mask
    }

    /// A value in 0...range by masked rejection (`random_bounded_uint64` with use_masked, off = 0).
    mutating func boundedMasked(_ range: UInt64) -> UInt64 {
        if range == 0 { return 0 }
        let mask = Self.mask(range)
        if range <= 0xffff_ffff {
            if range == 0xffff_ffff { return UInt64(nextUInt32()) }
            while true {
                let value = UInt64(nextUInt32() & UInt32(truncatingIfNeeded: mask))
                if value <= range { return value }
            }
        }
        if range == .max { return nextUInt64() }
        while true {
            let value = nextUInt64() & mask
            if value <= range { return value }
        }
    }

    /// `randint(high)` with numpy's default int64 dtype: one value in 0 ..< high.
    /// - Precondition: high >= 1 (numpy raises "high <= 0"; callers validate first).
    public mutating func randint(_ high: Int) -> Int {
        precondition(high >= 1, "randint needs high >= 1")
        return Int(boundedMasked(UInt64(high - 1)))
    }

    /// `randint(highs)` for an int64 array of bounds: one value in 0 ..< highs[i] per element, in order.
    public mutating func randint(_ highs: [Int]) -> [Int] {
        highs.map { randint($0) }
    }

    /// A value in 0...max (numpy `random_interval`, used by the legacy shuffle).
    mutating func interval(_ max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        let mask = Self.mask(max)
        if max <= 0xffff_ffff {
            while true {
                let value = UInt64(nextUInt32()) & mask
                if value <= max { return value }
            }
        }
        while true {
            let value = nextUInt64() & mask
            if value <= max { return value }
        }
    }

    // MARK: - Permutations

    /// `permutation(n)`: arange(n) shuffled by the legacy Fisher–Yates.
    public mutating func permutation(_ n: Int) -> [Int] {
        var values = Array(0..<max(n, 0))
        var i = values.count - 1
        while i >= 1 {
            let j = Int(interval(UInt64(i)))
            values.swapAt(i, j)
            i -= 1
        }
        return values
    }

    /// `choice(n, size, replace=False)` without probabilities: `permutation(n)[:size]`.
    /// - Precondition: 0 <= size <= n (numpy raises ValueError otherwise; callers validate first).
    public mutating func choiceWithoutReplacement(_ n: Int, size: Int) -> [Int] {
        precondition(size >= 0 && size <= n, "choice without replacement needs 0 <= size <= n")
        return Array(permutation(n).prefix(size))
    }
}
