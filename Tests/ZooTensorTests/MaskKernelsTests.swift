import Testing
import ZooTensor

/// The ReLU backward and the dropout mask, sixteen lanes at a time, against their one-element definitions: every bit,
/// for lengths around the vector width, with signed zeros, NaN and infinities in the data.
@Suite struct MaskKernelsTests {
    static func data(_ count: Int, seed: UInt64) -> [Float] {
        let rng = CounterRNG(seed: seed, stream: 9)
        let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, -Float.leastNormalMagnitude / 4]
        return (0..<count).map { i in
            let u = rng.uniform(UInt64(i))
            return u < 0.1 ? specials[i % specials.count] : (u - 0.5) * 8
        }
    }

    @Test(arguments: [0, 1, 15, 16, 17, 33, 100]) func reluBackwardIsTheSelectPerElement(_ count: Int) {
        let activation = Self.data(count, seed: 1), gradient = Self.data(count, seed: 2), start = Self.data(count, seed: 3)
        for accumulate in [false, true] {
            var output = start
            output.withUnsafeMutableBufferPointer { out in
                Kernels.reluBackward(out.baseAddress!, gradient, activation: activation, count: count, accumulate: accumulate)
            }
            let expected = (0..<count).map { i -> Float in
                let d: Float = activation[i] <= 0 ? 0 : gradient[i]
                return accumulate ? start[i] + d : d
            }
            #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "accumulate \(accumulate)")
        }
        // In place: the output is the gradient.
        var inPlace = gradient
        inPlace.withUnsafeMutableBufferPointer { d in Kernels.reluBackward(d.baseAddress!, d.baseAddress!, activation: activation, count: count) }
        #expect(inPlace.map(\.bitPattern) == (0..<count).map { (activation[$0] <= 0 ? 0 : gradient[$0]).bitPattern })
    }

    @Test(arguments: [0, 1, 16, 63, 64, 65, 130]) func scaleByMaskMultipliesByScaleOrZero(_ count: Int) {
        let rng = CounterRNG(seed: 4, stream: 2)
        let mask = (0..<(count + 63) / 64).map { rng.bits(UInt64($0)) }
        let start = Self.data(count, seed: 5), scale: Float = 1 / (1 - 0.3)
        var data = start
        data.withUnsafeMutableBufferPointer { d in Kernels.scaleByMask(d.baseAddress!, mask, scale: scale, count: count) }
        let expected = (0..<count).map { i in start[i] * (mask[i >> 6] >> UInt64(i & 63) & 1 == 1 ? scale : 0) }
        #expect(data.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
