import Foundation
import ZooTensor

/// What a run records about where it ran.
public struct MachineInfo: Sendable, Codable, Equatable {
    public var cpu: String
    /// The arithmetic in effect (``Arithmetic/label``): `portable-1` or `openblas/<core>`.
    public var arithmetic: String
    /// The GEMM kernel in use: an ISA (`avx512`) or OpenBLAS's core.
    public var kernel: String
    public var cores: Int

    public static var current: MachineInfo {
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return MachineInfo(cpu: cpu, arithmetic: Arithmetic.label, kernel: Arithmetic.kernelName,
                           cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}
