import Foundation
import Testing
import ZooTensor

/// SkelZoo's portable acos (PreNormalize3D's `np.arccos` in float64): within a few ulps of the platform's libm.
@Suite struct PortableAcosTests {
    static func ulps(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / max(abs(b).ulp, Double.leastNonzeroMagnitude)
    }

    @Test func agreesWithLibmWithinTwoUlpsOnMinusOneToOne() {
        let rng = CounterRNG(seed: 2026, stream: 11)
        var inputs = (0..<20_000).map { rng.uniformDouble(UInt64($0)) * 2 - 1 }
        inputs += (0..<2000).map { 1 - rng.uniformDouble(UInt64(50_000 + $0)) * 1e-6 }  // near 1: tiny angles
        inputs += inputs.map { -$0 }
        inputs += [0, -0.0, 0.5, -0.5, 0.5.nextUp, 0.5.nextDown, -0.5.nextUp, 1, -1, 1.0.nextDown, (-1.0).nextUp, 1e-300, 0.9999999999]
        var worst = 0.0
        for x in inputs {
            let u = Self.ulps(PortableMath.acos(x), Foundation.acos(x))
            worst = max(worst, u)
            #expect(u <= 2, "acos(\(x)): \(PortableMath.acos(x)) vs libm \(Foundation.acos(x))")
        }
        print("portable acos: worst \(worst) ulps vs libm over \(inputs.count) inputs")
    }

    @Test func specialValues() {
        #expect(PortableMath.acos(1) == 0)
        #expect(PortableMath.acos(-1) == Double.pi)
        #expect(PortableMath.acos(0) == Double.pi / 2)
        #expect(PortableMath.acos(1.0.nextUp).isNaN && PortableMath.acos(-2).isNaN && PortableMath.acos(.nan).isNaN)
        #expect(PortableMath.acos(.infinity).isNaN)
    }
}
