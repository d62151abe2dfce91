import Foundation
import Testing
import ZooTensor

/// SkelZoo's GEMM: every ISA's kernel gives the scalar reference's bits, for every transpose, edge and
/// leading dimension; and the result is the product (checked against OpenBLAS).
@Suite struct GEMMTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool, pad: Int
        var testDescription: String { "\(m)x\(n)x\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")\(accumulate ? " +=" : "") pad \(pad)" }
    }

    /// Edges: sizes around every tile (6, 8, 12, 16, 32) and around the 4096-deep K block, all four transposes,
    /// accumulate or not, leading dimensions wider than the matrices.
    static let shapes: [Shape] = {
        var shapes: [Shape] = []
        let rng = CounterRNG(seed: 11, stream: 1)
        let ks = [1, 3, 255, 4095, 4096, 4097, 600]
        for index in 0..<48 {
            let bits = rng.bits(UInt64(index))
            shapes.append(Shape(m: 1 + Int(bits % 41), n: 1 + Int((bits >> 8) % 75), k: ks[index % ks.count],
                                transposeA: (bits >> 16) & 1 == 1, transposeB: (bits >> 17) & 1 == 1,
                                accumulate: (bits >> 18) & 1 == 1, pad: Int((bits >> 19) % 3)))
        }
        shapes.append(Shape(m: 64, n: 425, k: 576, transposeA: false, transposeB: false, accumulate: false, pad: 0))
        shapes.append(Shape(m: 150, n: 3100, k: 9, transposeA: false, transposeB: true, accumulate: true, pad: 1))
        shapes.append(Shape(m: 300, n: 70, k: 0, transposeA: true, transposeB: false, accumulate: false, pad: 0))
        return shapes
    }()

    struct Operands {
        var a: [Float], b: [Float], c: [Float], lda: Int, ldb: Int, ldc: Int
    }

    static func operands(_ s: Shape, seed: UInt64) -> Operands {
        let lda = (s.transposeA ? s.m : s.k) + s.pad, ldb = (s.transposeB ? s.k : s.n) + s.pad, ldc = s.n + s.pad
        let rng = CounterRNG(seed: seed, stream: 2)
        func values(_ count: Int, _ offset: Int) -> [Float] { (0..<count).map { rng.uniform(UInt64(offset + $0)) * 2 - 1 } }
        let rowsA = s.transposeA ? s.k : s.m, rowsB = s.transposeB ? s.n : s.k
        return Operands(a: values(max(rowsA * lda, 1), 0), b: values(max(rowsB * ldb, 1), 1 << 24), c: values(s.m * ldc, 1 << 25),
                        lda: lda, ldb: ldb, ldc: ldc)
    }

    static func run(_ s: Shape, _ o: Operands, isa: Arithmetic.ISA) -> [Float] {
        var c = o.c
        o.a.withUnsafeBufferPointer { a in
            o.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    GEMM.sgemm(isa: isa, c.baseAddress!, a.baseAddress!, b.baseAddress!, m: s.m, n: s.n, k: s.k,
                               transposeA: s.transposeA, transposeB: s.transposeB, accumulate: s.accumulate,
                               lda: o.lda, ldb: o.ldb, ldc: o.ldc)
                }
            }
        }
        return c
    }

    @Test(arguments: shapes)
    func everyAvailableISAGivesTheScalarReferenceBits(_ shape: Shape) {
        let operands = Self.operands(shape, seed: UInt64(shape.m * 1000 + shape.n))
        let reference = Self.run(shape, operands, isa: .scalar)
        for isa in Arithmetic.ISA.available where isa != .scalar {
            let result = Self.run(shape, operands, isa: isa)
            let first = result.indices.first { result[$0].bitPattern != reference[$0].bitPattern }
            #expect(first == nil, "\(isa.rawValue) differs from scalar at \(first ?? -1)")
        }
        // Padding between rows of C is never written.
        for row in 0..<shape.m {
            for column in shape.n..<shape.n + shape.pad {
                #expect(reference[row * operands.ldc + column].bitPattern == operands.c[row * operands.ldc + column].bitPattern)
            }
        }
    }

    @Test(arguments: shapes.prefix(16))
    func matchesOpenBLASWithinRounding(_ shape: Shape) {
        let o = Self.operands(shape, seed: 5)
        let ours = Self.run(shape, o, isa: .best)
        var theirs = o.c
        o.a.withUnsafeBufferPointer { a in
            o.b.withUnsafeBufferPointer { b in
                theirs.withUnsafeMutableBufferPointer { c in
                    OpenBLAS.sgemm(c.baseAddress!, a.baseAddress!, b.baseAddress!, m: shape.m, n: shape.n, k: shape.k,
                                   transposeA: shape.transposeA, transposeB: shape.transposeB, accumulate: shape.accumulate,
                                   lda: o.lda, ldb: o.ldb, ldc: o.ldc)
                }
            }
        }
        // Both are float sums of the same products in different orders: relative to Σ|a·b| (+|c|), each is
        // within k·2^-24 of the exact value.
        for i in 0..<shape.m {
            for j in 0..<shape.n {
                var magnitude = shape.accumulate ? Double(abs(o.c[i * o.ldc + j])) : 0
                for kk in 0..<shape.k {
                    let a = shape.transposeA ? o.a[kk * o.lda + i] : o.a[i * o.lda + kk]
                    let b = shape.transposeB ? o.b[j * o.ldb + kk] : o.b[kk * o.ldb + j]
                    magnitude += Double(abs(a * b))
                }
                let difference = abs(Double(ours[i * o.ldc + j]) - Double(theirs[i * o.ldc + j]))
                #expect(difference <= 1e-5 * max(magnitude, 1e-30), "(\(i), \(j)): \(ours[i * o.ldc + j]) vs \(theirs[i * o.ldc + j])")
            }
        }
    }

    @Test func theContractIsAnFmaChainPerKBlock() {
        // k = 4140 = one block of 4096 and one of 44: c = fma-chain(0..<4096) + fma-chain(4096..<4140), written out.
        let k = 4140
        let rng = CounterRNG(seed: 3, stream: 3)
        let a = (0..<k).map { rng.uniform(UInt64($0)) - 0.5 }, b = (0..<k).map { rng.uniform(UInt64(k + $0)) - 0.5 }
        var first: Float = 0, second: Float = 0
        for i in 0..<4096 { first = Float.fma(a[i], b[i], first) }
        for i in 4096..<k { second = Float.fma(a[i], b[i], second) }
        let expected = first + second
        for isa in Arithmetic.ISA.available {
            var c: Float = .nan
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    GEMM.sgemm(isa: isa, &c, a.baseAddress!, b.baseAddress!, m: 1, n: 1, k: k)
                }
            }
            #expect(c.bitPattern == expected.bitPattern, "\(isa.rawValue)")
        }
    }

    @Test func forcingAnISAThisCPULacksIsAClearError() {
        let missing = Arithmetic.ISA.allCases.filter { !$0.isAvailable }
        for isa in missing {
            #expect(throws: ArithmeticError.isaUnavailable(isa.rawValue, available: Arithmetic.ISA.available.map(\.rawValue))) {
                try Arithmetic.select(backend: nil, isa: isa.rawValue)
            }
        }
        #expect(throws: ArithmeticError.unknownISA("sse9")) { try Arithmetic.select(backend: "portable", isa: "sse9") }
        #expect(throws: ArithmeticError.unknownBackend("mkl")) { try Arithmetic.select(backend: "mkl", isa: nil) }
        #expect(throws: ArithmeticError.isaWithOpenBLAS("avx2")) { try Arithmetic.select(backend: "openblas", isa: "avx2") }
        #expect(Arithmetic.ISA.scalar.isAvailable)
    }
}

extension Float {
    /// fmaf: one rounding of a·b + c.
    static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }
}
