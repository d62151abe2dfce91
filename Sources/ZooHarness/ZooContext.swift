import Foundation
import ZooConfig
import ZooRegistry

/// The zoo in effect and the registry, opened and imported the same way by every command.
public struct ZooContext {
    public let home: URL
    /// The `--zoo` files and folders given (empty: the built-in zoo alone).
    public let overrides: [URL]
    public let sources: ZooSources
    public let files: [ZooFile]
    public let registry: Registry

    /// Loads the zoo (built-in plus `overrides`), opens the registry under `home` and imports the zoo into it.
    public init(home: URL, overrides: [URL] = []) throws {
        self.home = home
        self.overrides = overrides
        sources = try ZooSources.load(overrides: overrides)
        files = try sources.parse()
        registry = try Registry.open(home: home)
        try registry.importZoo(files)
    }

    /// The home folder: `given` (--home), else $SKELZOO_HOME, else ${XDG_CACHE_HOME:-~/.cache}/skelzoo.
    public static func home(given: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let given { return URL(fileURLWithPath: given) }
        if let home = environment["SKELZOO_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return URL(fileURLWithPath: cache).appending(path: "skelzoo") }
        return FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/skelzoo")
    }

    /// The zoo definition of `name`, or an error suggesting the closest names.
    public func entry(named name: String) throws -> ZooEntry {
        if let entry = files.flatMap(\.entries).first(where: { $0.name == name }) { return entry }
        if let retired = try registry.entry(named: name) { return try retired.zooEntry() }
        let names = files.flatMap(\.entries).map(\.name)
        let closest = Suggestions.closest(to: name, in: names)
        throw HarnessError("unknown zoo entry '\(name)'",
                           hint: closest.isEmpty ? "run `skelzoo list` to see the zoo" : "did you mean \(closest.map { "'\($0)'" }.joined(separator: ", "))?")
    }

    /// The entries named, else those of the `--zoo` files, else the whole zoo.
    public func chosenEntries(_ names: [String]) throws -> [ZooEntry] {
        if !names.isEmpty { return try names.map { try entry(named: $0) } }
        if !overrides.isEmpty {
            let given = Set(sources.files.filter { $0.root != nil }.map(\.name))
            return files.filter { given.contains($0.name) }.flatMap(\.entries)
        }
        return files.flatMap(\.entries)
    }

    /// Where an entry's checkpoint is cached.
    public func checkpointURL(fileName: String) -> URL {
        home.appending(path: "checkpoints").appending(path: fileName)
    }

    /// Cache state of an entry's checkpoint, from the file system and the registry's last verification.
    public func checkpointState(_ entry: ZooEntry) throws -> Checkpoint.State {
        guard let fileName = entry.checkpointFileName else { return .absent }
        let path = checkpointURL(fileName: fileName).path
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
