// The one place SkelZoo calls BLAS. Everything else multiplies matrices through `BLAS.sgemm`.
import CBLAS

public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, row-major.
    ///
    /// op(A) is m x k, op(B) is k x n, C is m x n. `lda`, `ldb`, `ldc` are the row strides of the matrices
    /// as stored (A stored k x m when `transposeA`, B stored n x k when `transposeB`).
    @inlinable
    public static func sgemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        // Row-major: the leading dimension is the stored row length.
        let lda = lda ?? (transposeA ? m : k)
        let ldb = ldb ?? (transposeB ? k : n)
        let ldc = ldc ?? n
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets OpenBLAS's own thread count. SkelZoo runs BLAS single-threaded inside its own parallel loops
    /// (each call's result then does not depend on how many threads the process uses).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's kernel name for this CPU (e.g. "Zen", "Haswell").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// OpenBLAS's build configuration string.
    public static var config: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }
}

extension String {
    @usableFromInline
    func trimmingCharacters(in set: CharacterSetLike) -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\n" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\n" { text = text.dropLast() }
        return String(text)
    }
}

@usableFromInline
enum CharacterSetLike { case whitespaces }
