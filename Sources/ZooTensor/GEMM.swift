// The one seam through which SkelZoo multiplies matrices. It hands the work to SkelZoo's own fixed-order
// GEMM (ZooKernels, the default: the same bits on every CPU) or, when a user opts in, to OpenBLAS (fastest
// on one machine; its bits depend on the CPU's OpenBLAS kernel). See ``Arithmetic``.
import CBLAS
import ZooKernels

public enum GEMM {
    /// `C = op(A)·op(B)`, or `C += op(A)·op(B)` when `accumulate`, row-major.
    ///
    /// op(A) is m x k, op(B) is k x n, C is m x n. `lda`, `ldb`, `ldc` are the row strides of the matrices
    /// as stored (A stored k x m when `transposeA`, B stored n x k when `transposeB`). On the portable
    /// backend every element is the fixed-order sum of the contract in `zoo_kernels.h`.
    public static func sgemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        accumulate: Bool = false, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        switch Arithmetic.backend {
        case .portable(let isa):
            sgemm(isa: isa, c, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                  accumulate: accumulate, lda: lda, ldb: ldb, ldc: ldc)
        case .openBLAS:
            OpenBLAS.sgemm(c, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                           accumulate: accumulate, lda: lda, ldb: ldb, ldc: ldc)
        }
    }

    /// ``sgemm(_:_:_:m:n:k:transposeA:transposeB:accumulate:lda:ldb:ldc:)`` with a given ISA, whatever
    /// backend is selected (for tests and benchmarks). An ISA this CPU lacks runs the scalar reference (same
    /// bits); ``Arithmetic/select(_:)`` refuses one for the process-wide choice.
    public static func sgemm(
        isa: Arithmetic.ISA, _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        accumulate: Bool = false, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        zk_sgemm(isa.kernel, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, lda ?? (transposeA ? m : k),
                 b, ldb ?? (transposeB ? k : n), accumulate ? 1 : 0, c, ldc ?? n)
    }
}

extension GEMM {
    /// `C = W·columns` (+ C when `accumulate`) for a (Kt x 1) temporal convolution of one sequence: W is m x (C·Kt),
    /// `columns` the im2col of `input` (C, T, V) as ``Kernels/im2colTemporal(_:_:channels:frames:joints:kernel:stride:padding:outFrames:dilation:)``
    /// writes it, C is m x (T'·V). The same bits as that im2col followed by ``sgemm(_:_:_:m:n:k:transposeA:transposeB:accumulate:lda:ldb:ldc:)``;
    /// the portable backend packs its panels straight from the input and never writes `columns` (OpenBLAS needs them:
    /// `columns` holds C·Kt·T'·V values).
    ///
    /// `layout` says where the channels are and whether zeros surround their frames (see ``TemporalInput``); a padded
    /// input lets the SIMD kernels read B straight from it, without packing.
    public static func sgemmTemporal(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
        m: Int, channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int = 1,
        layout: TemporalInput = .contiguous, accumulate: Bool = false
    ) {
        switch Arithmetic.backend {
        case .portable(let isa):
            sgemmTemporal(isa: isa, c, a, input: input, m: m, channels: channels, frames: frames, joints: joints, kernel: kernel,
                          stride: stride, padding: padding, outFrames: outFrames, dilation: dilation, layout: layout, accumulate: accumulate)
        case .openBLAS:
            Kernels.im2colTemporal(columns, input, channels: channels, frames: frames, joints: joints, kernel: kernel, stride: stride,
                                   padding: padding, outFrames: outFrames, dilation: dilation,
                                   channelStride: layout.channelStride(frames: frames, joints: joints))
            OpenBLAS.sgemm(c, a, columns, m: m, n: outFrames * joints, k: channels * kernel, accumulate: accumulate)
        }
    }

    /// ``sgemmTemporal(_:_:input:columns:m:channels:frames:joints:kernel:stride:padding:outFrames:dilation:layout:accumulate:)`` with a
    /// given ISA on the portable arithmetic (no columns buffer at all).
    public static func sgemmTemporal(
        isa: Arithmetic.ISA, _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, input: UnsafePointer<Float>,
        m: Int, channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int = 1,
        layout: TemporalInput = .contiguous, accumulate: Bool = false
    ) {
        if case .padded(let margin) = layout { precondition(margin >= padding, "a padded input's margin \(margin) < padding \(padding)") }
        let channelStride = layout.channelStride(frames: frames, joints: joints)
        var operand = zk_temporal_columns(input: input, channels: channels, frames: frames, joints: joints, kernel: kernel, stride: stride,
                                          padding: padding, dilation: dilation, out_frames: outFrames,
                                          channel_stride: channelStride ?? 0, padded: channelStride == nil ? 0 : 1)
        zk_sgemm_temporal(isa.kernel, m, a, channels * kernel, &operand, accumulate ? 1 : 0, c, outFrames * joints)
    }
}

/// Where a temporal convolution's input channels lie, for ``GEMM/sgemmTemporal(_:_:input:columns:m:channels:frames:joints:kernel:stride:padding:outFrames:dilation:layout:accumulate:)``.
public enum TemporalInput: Sendable, Equatable {
    /// (C, T, V), channel after channel.
    case contiguous
    /// Each channel's T frames with `margin` zero frames before and after them (channel stride (T + 2·margin)·V; the
    /// margin covers the convolution's padding), the input pointer at channel 0's first real frame, and ``slack``
    /// readable floats after the last channel. ``paddedCount(channels:margin:joints:frames:)`` is the buffer's size.
    case padded(margin: Int)

    /// Floats readable past the last channel that the kernels may load (and ignore).
    public static let slack = 64

    /// Floats a padded buffer of `channels` channels of `frames` frames takes, from its first zero to the end of the slack.
    public static func paddedCount(channels: Int, margin: Int, joints: Int, frames: Int) -> Int {
        channels * (frames + 2 * margin) * joints + slack
    }

    /// Floats between channels of a clip of `frames` frames, nil for contiguous channels.
    func channelStride(frames: Int, joints: Int) -> Int? {
        if case .padded(let margin) = self { return (frames + 2 * margin) * joints }
        return nil
    }
}

/// OpenBLAS: the speed yardstick of `skelzoo bench` and the opt-in `--backend openblas`.
public enum OpenBLAS {
    /// `cblas_sgemm` row-major with alpha 1 and beta 0 or 1.
    public static func sgemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        accumulate: Bool = false, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda ?? (transposeA ? m : k)), b, Int32(ldb ?? (transposeB ? k : n)),
                    accumulate ? 1 : 0, c, Int32(ldc ?? n))
    }

    /// Sets OpenBLAS's own thread count. SkelZoo runs BLAS single-threaded inside its own parallel loops
    /// (each call's result then does not depend on how many threads the process uses).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's kernel name for this CPU (e.g. "Zen", "Haswell"); it follows `OPENBLAS_CORETYPE`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmedSpaces
    }
}

extension String {
    var trimmedSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\n" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
