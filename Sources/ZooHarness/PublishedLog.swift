// The published run's training log, when a copy is on this machine: `$SKELZOO_HOME/logs/` holds logs downloaded by
// hand (the zoo's `Training Log` URL's file name, or `<entry>.log` / `<entry>.json`). Nothing is downloaded here.
import Foundation
import ZooConfig

public enum PublishedLog {
    /// The folder logs are looked for in.
    public static func folder(home: URL) -> URL { home.appending(path: "logs") }

    /// The first local copy of `entry`'s training log, or nil.
    public static func find(for entry: ZooEntry, home: URL) -> URL? {
        var names: [String] = []
        if let url = entry.trainingLog, let name = URL(string: url)?.lastPathComponent, !name.isEmpty { names.append(name) }
        names += ["\(entry.name).log", "\(entry.name).json", "\(entry.name).log.json"]
        return names.map { folder(home: home).appending(path: $0) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// What the local log states, in lines, with the GPU counts it fits for `trainingSamples` samples per epoch (nil:
    /// unknown) at the config's per-GPU batch; nil when there is no local log.
    /// - Throws: ``ConfigError`` when a log is there but unreadable or in no known format.
    public static func lines(for entry: ZooEntry, home: URL, config: ExperimentConfig, trainingSamples: Int?) throws -> [String]? {
        guard let url = find(for: entry, home: home) else { return nil }
        let facts = try TrainingLogFacts.read(url)
        var lines = facts.lines
        if let trainingSamples {
            let perGPU = facts.perGPUBatch ?? config.data.videosPerGPU
            let counts = facts.consistentGPUCounts(trainingSamples: trainingSamples, perGPUBatch: perGPU)
            if !counts.isEmpty {
                lines.append("  GPU counts that give the logged iterations per epoch for \(trainingSamples) samples x \(perGPU) per GPU: "
                             + counts.map(String.init).joined(separator: ", "))
            }
        }
        return lines
    }
}
