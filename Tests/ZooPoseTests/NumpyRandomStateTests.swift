import Testing
@testable import ZooPose

/// numpy's legacy RandomState, pinned by values written down once from real numpy.
///
/// Obtained with numpy 2.4.6 (Python 3.11.7), by hand:
///   r = np.random.RandomState(255); r.randint(np.array([2, 3, 1, 7, 100, 1000, 2**31, 2**32, 2**32 + 5, 2**40]))
///   r = np.random.RandomState(255); r.choice(101, 37, replace=False)
///   r = np.random.RandomState(255); [r.randint(10) for _ in range(5)], r.random_sample()
///   r = np.random.RandomState(255); r.choice(101, 0, replace=False), r.randint(1000)
///   np.random.seed(255); np.random.randint(np.diff(np.array([i * 250 // 100 for i in range(101)])))[:20]
///   r = np.random.RandomState(255); [r.randint(0, 2**32, dtype=np.uint32) for _ in range(3)]
///   r = np.random.RandomState(0); r.randint(2**62), r.randint(2**63 - 1)
@Suite struct NumpyRandomStateTests {
    @Test func randintMatchesNumpyOverThe32And64BitPaths() {
        var random = NumpyRandomState(seed: 255)
        // high = 1 draws nothing; 2^32 takes one whole word; 2^32 + 5 and 2^40 take 64-bit words.
        #expect(random.randint([2, 3, 1, 7, 100, 1000, 1 << 31, 1 << 32, (1 << 32) + 5, 1 << 40])
                == [1, 1, 0, 1, 5, 175, 2_033_205_240, 3_342_830_101, 1_663_577_209, 550_528_231_100])
        var scalar = NumpyRandomState(seed: 255)
        #expect((0..<5).map { _ in scalar.randint(10) } == [3, 9, 9, 6, 5])
        #expect(scalar.randomSample() == 0.031797691981438336)
        var words = NumpyRandomState(seed: 255)
        #expect((0..<3).map { _ in words.nextUInt32() } == [1_992_592_179, 1_460_470_953, 957_929_695])
        var wide = NumpyRandomState(seed: 0)
        #expect(wide.randint(1 << 62) == 900_450_186_894_289_455)
        #expect(wide.randint(Int.max) == 3_969_543_146_641_149_120)
    }

    @Test func choiceWithoutReplacementIsTheLegacyPermutationPrefix() {
        var random = NumpyRandomState(seed: 255)
        #expect(random.choiceWithoutReplacement(101, size: 37) == [
            2, 75, 1, 16, 33, 38, 79, 40, 45, 11, 89, 91, 39, 76, 17, 86, 70, 14, 35, 19, 63, 30, 72, 54, 28, 69, 61, 80, 64, 74, 53, 22,
            20, 49, 37, 68, 29,
        ])
        // size 0 still shuffles all 101 values (numpy slices the permutation), so the next draw is numpy's 15.
        var empty = NumpyRandomState(seed: 255)
        #expect(empty.choiceWithoutReplacement(101, size: 0).isEmpty)
        #expect(empty.randint(1000) == 15)
    }

    @Test func uniformSampleFramesSegmentDrawsMatchNumpy() {
        var random = NumpyRandomState(seed: 255)
        let bounds = (0...100).map { $0 * 250 / 100 }
        let sizes = (0..<100).map { bounds[$0 + 1] - bounds[$0] }
        #expect(Array(random.randint(sizes).prefix(20)) == [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 2, 1, 1, 0, 0])
    }

    @Test func permutationIsAPermutationAndCopiesForkTheStream() {
        var random = NumpyRandomState(seed: 7)
        var copy = random
        let p = random.permutation(1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(copy.permutation(1000) == p)
        #expect(random.permutation(0).isEmpty && random.permutation(1) == [0])
    }
}
