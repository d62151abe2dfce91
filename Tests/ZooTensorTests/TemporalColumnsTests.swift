import Testing
import ZooTensor

/// im2col for the (Kt x 1) temporal convolution and its adjoint, against the definition written per element
/// (every stride, dilation and padding the ST-GCN family uses, plus clips shorter than the kernel).
@Suite struct TemporalColumnsTests {
    struct Shape: CustomStringConvertible, Sendable {
        let channels, frames, joints, kernel, stride, padding, dilation: Int
        var outFrames: Int { (frames + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
        var description: String { "C\(channels) T\(frames) V\(joints) Kt\(kernel) s\(stride) pad\(padding) dil\(dilation)" }
    }

    static let shapes = [
        Shape(channels: 3, frames: 12, joints: 5, kernel: 9, stride: 1, padding: 4, dilation: 1),
        Shape(channels: 2, frames: 13, joints: 3, kernel: 9, stride: 2, padding: 4, dilation: 1),
        Shape(channels: 2, frames: 11, joints: 4, kernel: 3, stride: 1, padding: 3, dilation: 3),
        Shape(channels: 2, frames: 10, joints: 2, kernel: 5, stride: 2, padding: 4, dilation: 2),
        Shape(channels: 1, frames: 3, joints: 2, kernel: 9, stride: 1, padding: 4, dilation: 1),
        Shape(channels: 2, frames: 7, joints: 3, kernel: 1, stride: 2, padding: 0, dilation: 1),
        Shape(channels: 2, frames: 6, joints: 3, kernel: 3, stride: 1, padding: 0, dilation: 1),
        Shape(channels: 3, frames: 20, joints: 17, kernel: 9, stride: 1, padding: 4, dilation: 1),
    ]

    /// The input frame column (c, k) row t' reads, or nil in the padding.
    static func source(_ shape: Shape, k: Int, t: Int) -> Int? {
        let tIn = t * shape.stride + k * shape.dilation - shape.padding
        return tIn >= 0 && tIn < shape.frames ? tIn : nil
    }

    static func values(_ count: Int, seed: UInt64) -> [Float] {
        let rng = CounterRNG(seed: seed, stream: 3)
        return (0..<count).map { rng.uniform(UInt64($0)) * 2 - 1 }
    }

    @Test(arguments: shapes) func im2colMatchesTheDefinition(_ shape: Shape) {
        let (c, t, v, kt, tOut) = (shape.channels, shape.frames, shape.joints, shape.kernel, shape.outFrames)
        let input = Self.values(c * t * v, seed: 1)
        var columns = [Float](repeating: .nan, count: c * kt * tOut * v)
        columns.withUnsafeMutableBufferPointer { out in
            Kernels.im2colTemporal(out.baseAddress!, input, channels: c, frames: t, joints: v, kernel: kt, stride: shape.stride,
                                   padding: shape.padding, outFrames: tOut, dilation: shape.dilation)
        }
        var expected = [Float](repeating: 0, count: columns.count)
        for ci in 0..<c { for k in 0..<kt { for to in 0..<tOut { for j in 0..<v {
            if let tIn = Self.source(shape, k: k, t: to) { expected[((ci * kt + k) * tOut + to) * v + j] = input[(ci * t + tIn) * v + j] }
        } } } }
        #expect(columns == expected, "\(shape)")
    }

    /// col2im adds each column entry into its input element, taps in increasing k per element: the same bits as the
    /// per-element loop (starting from a non-zero gradient, as the callers accumulate).
    @Test(arguments: shapes) func col2imIsTheAdjointAddedInTapOrder(_ shape: Shape) {
        let (c, t, v, kt, tOut) = (shape.channels, shape.frames, shape.joints, shape.kernel, shape.outFrames)
        let columns = Self.values(c * kt * tOut * v, seed: 2)
        var gradient = Self.values(c * t * v, seed: 3)
        var expected = gradient
        gradient.withUnsafeMutableBufferPointer { g in
            Kernels.col2imTemporalAdd(g.baseAddress!, columns, channels: c, frames: t, joints: v, kernel: kt, stride: shape.stride,
                                      padding: shape.padding, outFrames: tOut, dilation: shape.dilation)
        }
        for ci in 0..<c { for k in 0..<kt { for to in 0..<tOut { for j in 0..<v {
            if let tIn = Self.source(shape, k: k, t: to) { expected[(ci * t + tIn) * v + j] += columns[((ci * kt + k) * tOut + to) * v + j] }
        } } } }
        #expect(gradient.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape)")
    }

    /// The temporal GEMM packs its panels from the input, or reads them unpacked from a padded input: for every ISA
    /// (scalar included, which writes the im2col out), both layouts and rows around the tiles (1, 7, 8, 9, 48, 70), the
    /// bits of im2col followed by sgemm, storing and accumulating.
    @Test(arguments: shapes) func temporalGEMMEqualsIm2colThenGEMM(_ shape: Shape) {
        let (c, t, v, kt, tOut) = (shape.channels, shape.frames, shape.joints, shape.kernel, shape.outFrames)
        let input = Self.values(c * t * v, seed: 4), q = tOut * v, depth = c * kt
        var columns = [Float](repeating: 0, count: depth * q)
        columns.withUnsafeMutableBufferPointer { out in
            Kernels.im2colTemporal(out.baseAddress!, input, channels: c, frames: t, joints: v, kernel: kt, stride: shape.stride,
                                   padding: shape.padding, outFrames: tOut, dilation: shape.dilation)
        }
        // The same input with `padding` zero frames around each channel (the layout whose stride-1 rows the SIMD kernels
        // read unpacked) and NaN in the slack after it: a lane loaded past the last column must never reach C.
        let margin = shape.padding, stride = (t + 2 * margin) * v
        var padded = [Float](repeating: 0, count: TemporalInput.paddedCount(channels: c, margin: margin, joints: v, frames: t))
        for i in c * stride..<padded.count { padded[i] = .nan }
        for ci in 0..<c { for j in 0..<t * v { padded[ci * stride + margin * v + j] = input[ci * t * v + j] } }
        var paddedColumns = [Float](repeating: .nan, count: depth * q)
        padded.withUnsafeBufferPointer { p in
            paddedColumns.withUnsafeMutableBufferPointer { out in
                Kernels.im2colTemporal(out.baseAddress!, p.baseAddress! + margin * v, channels: c, frames: t, joints: v, kernel: kt,
                                       stride: shape.stride, padding: shape.padding, outFrames: tOut, dilation: shape.dilation, channelStride: stride)
            }
        }
        #expect(paddedColumns.map(\.bitPattern) == columns.map(\.bitPattern), "\(shape) im2col of the padded layout")
        for m in [1, 7, 8, 9, 48, 70] {
            let weight = Self.values(m * depth, seed: 5), start = Self.values(m * q, seed: 6)
            for isa in Arithmetic.ISA.allCases {
                for accumulate in [false, true] {
                    var expected = start, actual = start, fromPadded = start
                    expected.withUnsafeMutableBufferPointer { out in
                        GEMM.sgemm(isa: isa, out.baseAddress!, weight, columns, m: m, n: q, k: depth, accumulate: accumulate)
                    }
                    actual.withUnsafeMutableBufferPointer { out in
                        GEMM.sgemmTemporal(isa: isa, out.baseAddress!, weight, input: input, m: m, channels: c, frames: t, joints: v,
                                           kernel: kt, stride: shape.stride, padding: shape.padding, outFrames: tOut,
                                           dilation: shape.dilation, accumulate: accumulate)
                    }
                    padded.withUnsafeBufferPointer { p in
                        fromPadded.withUnsafeMutableBufferPointer { out in
                            GEMM.sgemmTemporal(isa: isa, out.baseAddress!, weight, input: p.baseAddress! + margin * v, m: m, channels: c,
                                               frames: t, joints: v, kernel: kt, stride: shape.stride, padding: shape.padding,
                                               outFrames: tOut, dilation: shape.dilation, layout: .padded(margin: margin), accumulate: accumulate)
                        }
                    }
                    #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape) m \(m) \(isa) accumulate \(accumulate)")
                    #expect(fromPadded.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape) m \(m) \(isa) accumulate \(accumulate) padded")
                }
            }
        }
    }
}
