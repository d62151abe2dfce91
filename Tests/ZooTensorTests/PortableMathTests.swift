import Foundation
import Testing
import ZooTensor

/// SkelZoo's exp/log/log1p/sin/cos/pow: close to the platform's libm, and pinned bit for bit, so a change to
/// their arithmetic is a visible, deliberate act (it changes training bits: bump the arithmetic version).
@Suite struct PortableMathTests {
    /// Inputs over the ranges SkelZoo uses: logits, probabilities, Box–Muller uniforms, joint angles.
    static let inputs: [Double] = {
        let rng = CounterRNG(seed: 2026, stream: 9)
        var values = (0..<4000).map { (rng.uniformDouble(UInt64($0)) - 0.5) * 80 }
        values += (0..<1000).map { rng.uniformDouble(UInt64(10_000 + $0)) * 1e-3 }
        values += [0, -0.0, 1, -1, 0.5, 1e-300, 5e-324, 700, -740, 88, -103, Double.pi, 1e5]
        return values
    }()

    static func ulps(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / max(abs(b).ulp, Double.leastNonzeroMagnitude)
    }

    @Test func agreesWithLibmWithinFourUlps() {
        for x in Self.inputs {
            #expect(Self.ulps(PortableMath.exp(x), Foundation.exp(x)) <= 4, "exp(\(x))")
            #expect(Self.ulps(PortableMath.sin(x), Foundation.sin(x)) <= 4 || abs(PortableMath.sin(x) - Foundation.sin(x)) < 1e-15, "sin(\(x))")
            #expect(Self.ulps(PortableMath.cos(x), Foundation.cos(x)) <= 4 || abs(PortableMath.cos(x) - Foundation.cos(x)) < 1e-15, "cos(\(x))")
            let positive = abs(x) + 1e-9
            #expect(Self.ulps(PortableMath.log(positive), Foundation.log(positive)) <= 4, "log(\(positive))")
            if x > -1 { #expect(Self.ulps(PortableMath.log1p(x), Foundation.log1p(x)) <= 4, "log1p(\(x))") }
        }
        #expect(Self.ulps(PortableMath.pow(0.9999, 6260), Foundation.pow(0.9999, 6260)) <= 64)
    }

    @Test func floatVersionsAreTheDoubleResultRoundedOnce() {
        for x in Self.inputs.prefix(2000) {
            let f = Float(x / 4)
            #expect(PortableMath.exp(f) == Float(PortableMath.exp(Double(f))))
            // Within one float ulp of the correctly rounded value (libm in Double, rounded).
            let exact = Float(Foundation.exp(Double(f)))
            #expect(abs(PortableMath.exp(f) - exact) <= exact.ulp, "expf(\(f))")
        }
    }

    @Test func specialValues() {
        let infinity = Double.infinity
        #expect(PortableMath.exp(-infinity) == 0 && PortableMath.exp(infinity) == infinity && PortableMath.exp(Double.nan).isNaN)
        #expect(PortableMath.exp(0.0) == 1 && PortableMath.exp(710.0) == infinity && PortableMath.exp(-746.0) == 0)
        #expect(PortableMath.log(0.0) == -infinity && PortableMath.log(-1.0).isNaN && PortableMath.log(1.0) == 0)
        #expect(PortableMath.log(infinity) == infinity && PortableMath.log1p(-2.0).isNaN && PortableMath.log1p(0.0) == 0)
        #expect(PortableMath.sin(.infinity).isNaN && PortableMath.cos(.nan).isNaN && PortableMath.sin(0) == 0 && PortableMath.cos(0) == 1)
        #expect(PortableMath.pow(3, 0) == 1 && PortableMath.pow(-2, 0.5).isNaN)
    }

    /// FNV-1a over the bit patterns of every result: the same on every CPU (this is what makes it portable).
    @Test func resultsArePinnedBitForBit() {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: Double) {
            var bits = value.bitPattern
            for _ in 0..<8 {
                hash = (hash ^ (bits & 0xff)) &* 0x0000_0100_0000_01b3
                bits >>= 8
            }
        }
        for x in Self.inputs {
            mix(PortableMath.exp(x)); mix(PortableMath.sin(x)); mix(PortableMath.cos(x))
            mix(PortableMath.log(abs(x))); mix(PortableMath.log1p(abs(x)))
        }
        #expect(String(hash, radix: 16) == "2fb52ecaf5c02f7f")
    }
}
