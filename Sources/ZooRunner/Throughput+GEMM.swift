// SkelZoo's GEMM against OpenBLAS at the shapes ST-GCN multiplies, for `skelzoo bench --mode gemm`.
import Dispatch
import ZooSTGCN
import ZooTensor

extension Throughput {
    /// One GEMM shape of the network: C (m x n) = op(A) (m x k) · op(B) (k x n).
    public struct GEMMShape: Sendable, Hashable, Codable {
        public var role: String
        public var m: Int, n: Int, k: Int
        public var transposeA: Bool, transposeB: Bool

        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        public var label: String { "\(role) \(m)x\(n)x\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")" }
    }

    /// GFLOP/s of both GEMMs on one shape, with `threads` independent GEMMs running at once (as ST-GCN runs one
    /// sequence per thread), each single-threaded.
    public struct GEMMResult: Sendable, Codable {
        public var shape: GEMMShape
        public var threads: Int
        public var oursGflopPerSecond: Double
        public var openBLASGflopPerSecond: Double
        public var isa: String
        public var openBLASCore: String
        public var ratio: Double { oursGflopPerSecond / openBLASGflopPerSecond }

        enum CodingKeys: String, CodingKey {
            case shape, threads, isa
            case oursGflopPerSecond = "ours_gflop_per_s", openBLASGflopPerSecond = "openblas_gflop_per_s", openBLASCore = "openblas_core"
        }
    }

    /// The distinct GEMMs of one training step at `frames`: per block, the graph 1x1 convolution and the 9x1
    /// temporal convolution, forward (NN) and both backward products (dW: NT, dInput: TN).
    public static func gemmShapes(_ configuration: STGCNConfiguration, frames: Int) -> [GEMMShape] {
        let v = configuration.layout.jointCount, k = configuration.graph.partitions
        var t = frames
        var shapes: [GEMMShape] = []
        for i in configuration.channels.indices {
            let cin = configuration.blockInput(i), cout = configuration.channels[i]
            let tOut = (t - 1) / configuration.strides[i] + 1
            let p = t * v, q = tOut * v
            shapes += [
                GEMMShape(role: "gcn", m: k * cout, n: p, k: cin, transposeA: false, transposeB: false),
                GEMMShape(role: "gcn dW", m: k * cout, n: cin, k: p, transposeA: false, transposeB: true),
                GEMMShape(role: "gcn dX", m: cin, n: p, k: k * cout, transposeA: true, transposeB: false),
                GEMMShape(role: "tcn", m: cout, n: q, k: cout * 9, transposeA: false, transposeB: false),
                GEMMShape(role: "tcn dW", m: cout, n: cout * 9, k: q, transposeA: false, transposeB: true),
                GEMMShape(role: "tcn dX", m: cout * 9, n: q, k: cout, transposeA: true, transposeB: false),
            ]
            t = tOut
        }
        var seen: Set<GEMMShape> = []
        return shapes.filter { seen.insert($0).inserted }
    }

    /// Times ours (the selected ISA) and OpenBLAS on each shape, interleaved, best of `repetitions` rounds of at
    /// least `minSeconds` each.
    public static func measureGEMM(_ shapes: [GEMMShape], threads: Int, minSeconds: Double = 0.3, repetitions: Int = 3) -> [GEMMResult] {
        OpenBLAS.setThreads(1)
        let isa: Arithmetic.ISA
        if case .portable(let selected) = Arithmetic.backend { isa = selected } else { isa = .best }
        return shapes.map { shape in
            let rng = CounterRNG(seed: 4, stream: 6)
            let a = (0..<shape.m * shape.k).map { rng.uniform(UInt64($0)) - 0.5 }
            let b = (0..<shape.k * shape.n).map { rng.uniform(UInt64($0 + (1 << 30))) - 0.5 }
            // One output per thread, allocated (and faulted in) once: as the network's workspaces are reused, so the
            // timing holds the GEMM and not the first touch of a fresh C.
            var outputs = [Float](repeating: 0, count: threads * shape.m * shape.n)
            func rate(_ multiply: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) -> Void) -> Double {
                var best = 0.0
                outputs.withUnsafeMutableBufferPointer { c in
                a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    let cBase = c.baseAddress!, aBase = a.baseAddress!, bBase = b.baseAddress!
                    for _ in 0..<repetitions {
                        var calls = 0
                        let start = DispatchTime.now().uptimeNanoseconds
                        var elapsed = 0.0
                        while elapsed < minSeconds {
                            Parallel.forEach(threads, threads: threads) { _, worker in multiply(cBase + worker * shape.m * shape.n, aBase, bBase) }
                            calls += threads
                            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                        }
                        best = max(best, Double(calls) * shape.flops / elapsed / 1e9)
                    }
                }
                }
                }
                return best
            }
            let ours = rate { c, a, b in
                GEMM.sgemm(isa: isa, c, a, b, m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB)
            }
            let theirs = rate { c, a, b in
                OpenBLAS.sgemm(c, a, b, m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB)
            }
            return GEMMResult(shape: shape, threads: threads, oursGflopPerSecond: ours, openBLASGflopPerSecond: theirs,
                              isa: isa.rawValue, openBLASCore: OpenBLAS.coreName)
        }
    }
}
