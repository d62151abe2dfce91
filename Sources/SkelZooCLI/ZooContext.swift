import Foundation
import ZooConfig
import ZooRegistry

/// The zoo in effect and the registry, opened and imported the same way by every subcommand.
struct ZooContext {
    let home: URL
    let sources: ZooSources
    let files: [ZooFile]
    let registry: Registry

    init(_ options: GlobalOptions) throws {
        home = options.homeURL
        sources = try ZooSources.load(overrides: options.zoo.map { URL(fileURLWithPath: $0) })
        files = try sources.parse()
        registry = try Registry.open(home: home)
        try registry.importZoo(files)
    }

    /// The zoo definition of `name`, or an error suggesting the closest names.
    func entry(named name: String) throws -> ZooEntry {
        if let entry = files.flatMap(\.entries).first(where: { $0.name == name }) { return entry }
        if let retired = try registry.entry(named: name) { return try retired.zooEntry() }
        let names = files.flatMap(\.entries).map(\.name)
        let closest = Suggestions.closest(to: name, in: names)
        throw CLIError("unknown zoo entry '\(name)'",
                       hint: closest.isEmpty ? "run `skelzoo list` to see the zoo" : "did you mean \(closest.map { "'\($0)'" }.joined(separator: ", "))?")
    }

    /// Cache state of an entry's checkpoint, from the file system and the registry's last verification.
    func checkpointState(_ entry: ZooEntry) throws -> Checkpoint.State {
        guard let fileName = entry.checkpointFileName else { return .absent }
        let path = home.appending(path: "checkpoints").appending(path: fileName).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return .absent }
        let size = (attributes[.size] as? NSNumber)?.int64Value
        guard let row = try registry.checkpoint(for: entry.name) else { return .cached }
        switch row.state {
        case .verified where row.byteCount == size: return .verified
        case .corrupt where row.byteCount == size: return .corrupt
        default: return .cached
        }
    }
}

enum Suggestions {
    /// Up to three names closest to `name` by edit distance (substring matches first).
    static func closest(to name: String, in names: [String]) -> [String] {
        let scored = names.map { candidate -> (String, Int) in
            let distance = levenshtein(name.lowercased(), candidate.lowercased())
            return (candidate, candidate.contains(name) || name.contains(candidate) ? min(distance, 1) : distance)
        }
        let limit = max(3, name.count / 2)
        return scored.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0)
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
