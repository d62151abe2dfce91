// acos that gives the same bits on every CPU, for MMAction2 1.x's PreNormalize3D (`np.arccos` in float64).
//
// Same rules as PortableMath.swift: IEEE-754 double + − × ÷ and sqrt (correctly rounded by IEEE-754, so
// portable) only, in a fixed order, no fma, no libm.
//
// Method: the asin Taylor series asin s = Σ a_n s^(2n+1) / (2n + 1), a_n = (2n)! / (4^n (n!)^2), on |s| <= 1/2,
// where its terms shrink by 4 each; |x| > 1/2 is reduced with acos x = 2 asin √((1 − x)/2) and
// acos(−x) = π − acos x, whose (1 − |x|)/2 is exact for 1/2 <= |x| <= 1 (Sterbenz). Error a few Double ulps.

extension PortableMath {
    // π/2 and π as a double plus the rounding error of that double.
    static let halfPiHi = 1.5707963267948966
    static let halfPiLo = 6.123233995736766e-17
    static let piHi = 3.141592653589793
    static let piLo = 1.2246467991473532e-16

    /// The coefficients c_n = a_n / (2n + 1), n = 1...29, of asin s = s + s·z·Σ c_(n) z^(n−1), z = s²; each a_n
    /// by one multiplication and one division from the previous (deterministic).
    static let asinCoefficients: [Double] = {
        var values: [Double] = []
        var a = 1.0
        for n in 1...29 {
            a = a * Double(2 * n - 1) / Double(2 * n)
            values.append(a / Double(2 * n + 1))
        }
        return values
    }()

    /// asin s − s for |s| <= 1/2, given z = s² (passed separately so the caller can supply an exact z).
    static func asinTail(_ s: Double, z: Double) -> Double {
        let c = asinCoefficients
        var p = c[c.count - 1]
        for n in stride(from: c.count - 2, through: 0, by: -1) { p = p * z + c[n] }
        return s * z * p
    }

    /// arccos x in [0, π]; NaN outside [−1, 1].
    public static func acos(_ x: Double) -> Double {
        if x.isNaN || x > 1 || x < -1 { return .nan }
        if abs(x) <= 0.5 {
            // π/2 − asin x = (π/2)hi − (x + (tail − (π/2)lo))
            return halfPiHi - (x + (asinTail(x, z: x * x) - halfPiLo))
        }
        let z = (1 - abs(x)) * 0.5  // exact
        let s = z.squareRoot()
        let halfAngle = s + asinTail(s, z: z)  // asin √z, the half angle of acos |x|
        if x > 0 { return 2 * halfAngle }
        // π − 2·asin √z
        return piHi - (2 * halfAngle - piLo)
    }
}
