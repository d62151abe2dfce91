import Foundation
import ZooTensor

/// `--backend` and `--isa` (else $SKELZOO_BACKEND and $SKELZOO_ISA): which GEMM this process uses.
public enum ArithmeticChoice {
    /// Selects the arithmetic for this process.
    /// - Throws: the arithmetic's error naming an unknown backend or an ISA this CPU lacks.
    public static func apply(backend: String?, isa: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try Arithmetic.select(backend: backend ?? environment["SKELZOO_BACKEND"], isa: isa ?? environment["SKELZOO_ISA"])
    }
}
