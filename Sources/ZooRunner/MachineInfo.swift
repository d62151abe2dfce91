import Foundation
import ZooTensor

/// What a run records about where it ran.
public struct MachineInfo: Sendable, Codable, Equatable {
    public var cpu: String
    public var blasCore: String
    public var cores: Int

    public static var current: MachineInfo {
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return MachineInfo(cpu: cpu, blasCore: BLAS.coreName, cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}
