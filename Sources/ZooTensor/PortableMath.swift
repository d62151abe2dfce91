// exp, log, log1p, sin, cos and pow that give the same bits on every CPU.
//
// The platform's libm is not portable: glibc picks FMA or non-FMA variants of exp/log/sin/cos per CPU at
// load time, and other libms round differently. These are written with IEEE-754 double operations only
// (+ − × ÷, no fma, no libm), in a fixed order, so their results are a pure function of the input.
// Swift never contracts a·b + c into an fma, so the source order is the evaluation order.
//
// Method: Cody–Waite range reduction with fdlibm's split constants, then Taylor/atanh polynomials in
// Horner form, evaluated in Double; Float versions round the Double result once. Error before that rounding
// is a few Double ulps (tested against the platform's libm), so the Float results are correctly rounded
// except in rare near-ties. sin and cos reduce by π/2 in two parts: accurate for |x| < 2^19·π/2, and beyond
// that still deterministic but less accurate (SkelZoo's angles are far smaller).

public enum PortableMath {
    // ln 2 split so that k·ln2Hi is exact for |k| < 2^11 (fdlibm e_exp.c).
    static let ln2Hi = 6.93147180369123816490e-01
    static let ln2Lo = 1.90821492927058770002e-10
    static let invLn2 = 1.44269504088896338700e+00
    // π/2 split: pio2Hi has 33 significant bits (fdlibm pio2_1 / pio2_1t).
    static let pio2Hi = 1.57079632673412561417e+00
    static let pio2Lo = 6.07710050650619224932e-11
    static let twoOverPi = 6.36619772367581382433e-01

    /// 1/n! for n = 0...20, each computed by one division from the previous (deterministic).
    static let inverseFactorials: [Double] = {
        var values = [1.0]
        for n in 1...20 { values.append(values[n - 1] / Double(n)) }
        return values
    }()

    /// e^x.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        let k = (x * invLn2).rounded()
        let r = (x - k * ln2Hi) - k * ln2Lo  // |r| <= 0.3466
        // e^r = Σ r^n / n!, n = 0...13 (truncation < 1e-17 relative for |r| <= 0.35).
        let c = inverseFactorials
        var p = c[13]
        for n in stride(from: 12, through: 0, by: -1) { p = p * r + c[n] }
        return scale(p, Int(k))
    }

    /// p·2^k for p in [0.7, 1.5] and k in -1076...1024, by exact power-of-two products (two steps near
    /// the ends of the exponent range).
    static func scale(_ p: Double, _ k: Int) -> Double {
        if k > 1000 { return p * Double(sign: .plus, exponent: 1000, significand: 1) * Double(sign: .plus, exponent: k - 1000, significand: 1) }
        if k < -1000 { return p * Double(sign: .plus, exponent: k + 100, significand: 1) * Double(sign: .plus, exponent: -100, significand: 1) }
        return p * Double(sign: .plus, exponent: k, significand: 1)
    }

    /// Natural logarithm; NaN below 0, −∞ at 0.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2), exact (subnormals included)
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        // log m = 2·atanh(f), f = (m − 1)/(m + 1), |f| <= 0.1716: 2f·Σ f^(2j)/(2j + 1), j = 0...12.
        let f = (m - 1) / (m + 1), s = f * f
        var p = 1.0 / 25.0
        for j in stride(from: 11, through: 0, by: -1) { p = p * s + 1.0 / Double(2 * j + 1) }
        let ed = Double(e)
        return ed * ln2Hi + (ed * ln2Lo + 2 * f * p)
    }

    /// log(1 + x), accurate for small x (Goldberg's correction on the rounded 1 + x).
    public static func log1p(_ x: Double) -> Double {
        if x.isNaN || x < -1 { return .nan }
        let u = 1 + x
        if u == 1 { return x }
        if u == .infinity { return u }
        return log(u) * (x / (u - 1))
    }

    /// x^y for x > 0 as e^(y·log x); 1 when y == 0; NaN for x <= 0 (SkelZoo raises only positive bases).
    public static func pow(_ x: Double, _ y: Double) -> Double {
        if y == 0 { return 1 }
        if x.isNaN || y.isNaN || x <= 0 { return .nan }
        return exp(y * log(x))
    }

    /// sin x.
    public static func sin(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (r, quadrant) = reduce(x)
        switch quadrant {
        case 0: return sinKernel(r)
        case 1: return cosKernel(r)
        case 2: return -sinKernel(r)
        default: return -cosKernel(r)
        }
    }

    /// cos x.
    public static func cos(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (r, quadrant) = reduce(x)
        switch quadrant {
        case 0: return cosKernel(r)
        case 1: return -sinKernel(r)
        case 2: return -cosKernel(r)
        default: return sinKernel(r)
        }
    }

    /// x = k·π/2 + r with |r| <= π/4 (about), and k mod 4.
    static func reduce(_ x: Double) -> (Double, Int) {
        let k = (x * twoOverPi).rounded()
        let r = (x - k * pio2Hi) - k * pio2Lo
        let quadrant = Int(k.truncatingRemainder(dividingBy: 4))
        return (r, (quadrant + 4) % 4)
    }

    /// sin r = Σ (−1)^j r^(2j+1)/(2j+1)!, j = 0...9.
    static func sinKernel(_ r: Double) -> Double {
        let c = inverseFactorials, s = r * r
        var p = -c[19]
        for j in stride(from: 8, through: 0, by: -1) { p = p * s + (j % 2 == 0 ? c[2 * j + 1] : -c[2 * j + 1]) }
        return r * p
    }

    /// cos r = Σ (−1)^j r^(2j)/(2j)!, j = 0...10.
    static func cosKernel(_ r: Double) -> Double {
        let c = inverseFactorials, s = r * r
        var p = c[20]
        for j in stride(from: 9, through: 0, by: -1) { p = p * s + (j % 2 == 0 ? c[2 * j] : -c[2 * j]) }
        return p
    }

    // MARK: - Float, rounded once from Double

    public static func exp(_ x: Float) -> Float { Float(exp(Double(x))) }
    public static func log(_ x: Float) -> Float { Float(log(Double(x))) }
    public static func log1p(_ x: Float) -> Float { Float(log1p(Double(x))) }
}
