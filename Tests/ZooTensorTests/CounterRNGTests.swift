import Testing
import ZooTensor

/// The counter-based RNG: a pure function of (seed, stream, index), pinned to values computed independently (a
/// Python transcription of SplitMix64's finaliser and `bits`), so a change of any draw is deliberate.
@Suite struct CounterRNGTests {
    @Test func bitsArePinned() {
        #expect(CounterRNG(seed: 0, stream: 0).bits(0) == 0xE492_5ACA_80A9_B95F)
        #expect(CounterRNG(seed: 0, stream: 0).bits(1) == 0x5FAD_B356_EAC8_DDC4)
        #expect(CounterRNG(seed: 7, stream: 3).bits(12345) == 0xA592_3579_6F9D_C20D)
        let sub = CounterRNG(seed: 7, stream: 3).substream(5)
        #expect(sub == CounterRNG(seed: 7, stream: 0x2298_EB42_CBBE_FDB8))
        #expect(sub.bits(0) == 0x1E54_8744_A4E3_FA9A)
    }

    @Test func drawsDependOnlyOnTheirKeyNotOnCallOrder() {
        let rng = CounterRNG(seed: 42, stream: 1)
        let forward = (0..<100).map { rng.bits(UInt64($0)) }
        let backward = (0..<100).reversed().map { rng.bits(UInt64($0)) }.reversed()
        #expect(forward == Array(backward))
        // Each key part matters.
        #expect(rng.bits(5) != CounterRNG(seed: 43, stream: 1).bits(5))
        #expect(rng.bits(5) != CounterRNG(seed: 42, stream: 2).bits(5))
        #expect(Set(forward).count == forward.count)
        #expect(rng.substream(0) != rng.substream(1) && rng.substream(0) != rng)
        #expect(rng.substream(3) == CounterRNG(seed: 42, stream: 1).substream(3))
    }

    @Test func uniformsAreExactGridValuesInTheUnitInterval() {
        let rng = CounterRNG(seed: 7, stream: 3)
        #expect(rng.uniform(12345) == Float(10_850_869) / 16_777_216)
        var buckets = [Int](repeating: 0, count: 10)
        let count = 20_000
        for index in 0..<UInt64(count) {
            let u = rng.uniform(index), d = rng.uniformDouble(index)
            #expect(u >= 0 && u < 1 && d >= 0 && d < 1)
            #expect((u * 16_777_216).rounded() == u * 16_777_216, "24 bits: exactly a Float")
            #expect((d * 9_007_199_254_740_992).rounded() == d * 9_007_199_254_740_992)
            buckets[Int(d * 10)] += 1
        }
        // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
        let expected = Double(count) / 10
        let chiSquare = buckets.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 27.9, "buckets \(buckets)")
    }

    @Test func normalsHaveMeanZeroAndVarianceOne() {
        let rng = CounterRNG(seed: 1, stream: 9)
        let draws = (0..<20_000).map { rng.normal(UInt64($0)) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count - 1)
        // Standard errors: 1/sqrt(20000) = 0.007 for the mean, sqrt(2/20000) = 0.01 for the variance; 5 of each.
        #expect(abs(mean) < 0.035 && abs(variance - 1) < 0.05, "mean \(mean), variance \(variance)")
        #expect(draws.allSatisfy { $0.isFinite })
        #expect(rng.normal(17) == CounterRNG(seed: 1, stream: 9).normal(17))
    }

    @Test func permutationsArePinnedPermutations() {
        #expect(CounterRNG(seed: 1, stream: 2).permutation(10) == [2, 4, 8, 1, 7, 0, 3, 6, 5, 9])
        #expect(CounterRNG(seed: 1, stream: 2).permutation(0) == [])
        #expect(CounterRNG(seed: 1, stream: 2).permutation(1) == [0])
        let large = CounterRNG(seed: 3, stream: 4).permutation(1000)
        #expect(large.sorted() == Array(0..<1000))
        #expect(large != Array(0..<1000))
        #expect(CounterRNG(seed: 3, stream: 5).permutation(1000) != large)
    }
}
