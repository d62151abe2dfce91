// Which arithmetic decides the bits, chosen once per process: SkelZoo's portable fixed-order kernels
// (default; an ISA only changes the speed) or OpenBLAS (opt-in; bits tied to its CPU kernel).
import Synchronization
import ZooKernels

/// The arithmetic in effect: backend, ISA and the version recorded with every run.
///
/// Version `portable-1` is the contract of `zoo_kernels.h` (GEMM: fma chains over k in 4096-deep blocks),
/// plus SkelZoo's fixed-order Swift code for everything else (see README, "Determinism") and
/// ``PortableMath`` for exp, log, sin and cos. Any change to an operation's order bumps the version.
public enum Arithmetic {
    /// The version of the portable arithmetic. Runs and reference runs record it.
    public static let version = "portable-1"

    /// Instruction sets with a GEMM micro-kernel.
    public enum ISA: String, CaseIterable, Sendable, Codable {
        case scalar, avx2, avx512, neon

        var kernel: zk_isa {
            switch self {
            case .scalar: ZK_ISA_SCALAR
            case .avx2: ZK_ISA_AVX2
            case .avx512: ZK_ISA_AVX512
            case .neon: ZK_ISA_NEON
            }
        }

        /// Whether this build and CPU can run it.
        public var isAvailable: Bool { zk_isa_available(kernel) != 0 }

        /// The fastest available here.
        public static var best: ISA {
            switch zk_isa_best() {
            case ZK_ISA_AVX512: .avx512
            case ZK_ISA_AVX2: .avx2
            case ZK_ISA_NEON: .neon
            default: .scalar
            }
        }

        public static var available: [ISA] { allCases.filter(\.isAvailable) }
    }

    public enum Backend: Sendable, Equatable {
        /// SkelZoo's fixed-order kernels with one ISA's micro-kernel: the same bits for every ISA.
        case portable(ISA)
        /// OpenBLAS's sgemm (its kernel follows the CPU and `OPENBLAS_CORETYPE`).
        case openBLAS
    }

    // 0...3: portable with that ISA's raw value index; 100: OpenBLAS. Read on every GEMM call.
    private static let selection = Atomic<Int>(-1)

    /// The backend in effect (portable with the best ISA until ``select(_:)`` is called).
    public static var backend: Backend {
        let code = selection.load(ordering: .relaxed)
        if code == 100 { return .openBLAS }
        if code >= 0 { return .portable(ISA.allCases[code]) }
        return .portable(.best)
    }

    /// Selects the backend for the rest of the process.
    /// - Throws: ``ArithmeticError/isaUnavailable(_:available:)`` when the CPU lacks the ISA.
    public static func select(_ backend: Backend) throws(ArithmeticError) {
        switch backend {
        case .openBLAS:
            selection.store(100, ordering: .relaxed)
        case .portable(let isa):
            guard isa.isAvailable else { throw .isaUnavailable(isa.rawValue, available: ISA.available.map(\.rawValue)) }
            selection.store(ISA.allCases.firstIndex(of: isa)!, ordering: .relaxed)
        }
    }

    /// Selects from a backend name (`portable`, `openblas`) and an ISA name (`auto`, `scalar`, `avx2`,
    /// `avx512`, `neon`); nil or empty means the default. Used for `--backend`/`SKELZOO_BACKEND` and
    /// `--isa`/`SKELZOO_ISA`.
    @discardableResult
    public static func select(backend backendName: String?, isa isaName: String?) throws(ArithmeticError) -> Backend {
        let backendName = (backendName ?? "").lowercased(), isaName = (isaName ?? "").lowercased()
        let backend: Backend
        switch backendName {
        case "", "portable":
            if isaName.isEmpty || isaName == "auto" {
                backend = .portable(.best)
            } else if let isa = ISA(rawValue: isaName) {
                backend = .portable(isa)
            } else {
                throw .unknownISA(isaName)
            }
        case "openblas":
            guard isaName.isEmpty || isaName == "auto" else { throw .isaWithOpenBLAS(isaName) }
            backend = .openBLAS
        default:
            throw .unknownBackend(backendName)
        }
        try select(backend)
        return backend
    }

    /// What a run records as its arithmetic: `portable-1`, or `openblas/<core>` (bits comparable only with
    /// runs of the same label).
    public static var label: String {
        switch backend {
        case .portable: version
        case .openBLAS: "openblas/\(OpenBLAS.coreName)"
        }
    }

    /// The kernel in use: the ISA (`avx512`) or OpenBLAS's core (`Haswell`).
    public static var kernelName: String {
        switch backend {
        case .portable(let isa): isa.rawValue
        case .openBLAS: OpenBLAS.coreName
        }
    }
}

/// A backend or ISA that cannot be used here.
public enum ArithmeticError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownISA(String)
    case unknownBackend(String)
    case isaUnavailable(String, available: [String])
    case isaWithOpenBLAS(String)

    public var description: String {
        switch self {
        case .unknownISA(let name):
            "unknown ISA '\(name)' (from --isa or SKELZOO_ISA): expected auto, scalar, avx2, avx512 or neon"
        case .unknownBackend(let name):
            "unknown arithmetic backend '\(name)' (from --backend or SKELZOO_BACKEND): expected portable or openblas"
        case .isaUnavailable(let name, let available):
            "this CPU cannot run the \(name) kernels (available here: \(available.joined(separator: ", ")))"
        case .isaWithOpenBLAS(let name):
            "--isa \(name) applies to the portable backend; OpenBLAS picks its own kernel (set OPENBLAS_CORETYPE instead)"
        }
    }
}
