// Where zoo files and configs come from: the copies embedded in the binary (the repository's zoo/ and
// configs/ at build time), overridden or extended by `--zoo PATH` files.
import Foundation

/// The zoo files in effect and how to find each entry's config.
public struct ZooSources: Sendable {
    /// One zoo file's text with where it came from.
    public struct File: Sendable {
        /// File name; a `--zoo` file replaces the embedded file of the same name.
        public var name: String
        public var text: String
        /// A path, or `embedded:zoo/NAME` for the built-in copy.
        public var origin: String
        /// Directory against which the file's `Config:` paths resolve (nil for embedded files).
        public var root: URL?
    }

    public private(set) var files: [File]

    /// The embedded zoo, then each `--zoo` path (a file or a folder of `*.yml`) adding or replacing by file name.
    public static func load(overrides: [URL]) throws(ConfigError) -> ZooSources {
        var files: [File] = EmbeddedZoo.files.keys.sorted().filter { $0.hasPrefix("zoo/") }.map { key in
            File(name: String(key.dropFirst(4)), text: EmbeddedZoo.files[key] ?? "", origin: "embedded:\(key)", root: nil)
        }
        for url in overrides {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw ConfigError(file: url.path, line: nil, key: "", message: "no such zoo file or folder")
            }
            var paths: [URL] = []
            if isDirectory.boolValue {
                let names: [String]
                do { names = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
                    throw ConfigError(file: url.path, line: nil, key: "", message: "cannot list the folder: \((error as NSError).localizedDescription)")
                }
                paths = names.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted().map { url.appending(path: $0) }
                guard !paths.isEmpty else { throw ConfigError(file: url.path, line: nil, key: "", message: "folder holds no *.yml zoo files") }
            } else {
                paths = [url]
            }
            for path in paths {
                guard let text = try readText(path) else {
                    throw ConfigError(file: path.path, line: nil, key: "", message: "no such zoo file")
                }
                let directory = path.deletingLastPathComponent()
                let root = directory.lastPathComponent == "zoo" ? directory.deletingLastPathComponent() : directory
                let file = File(name: path.lastPathComponent, text: text, origin: path.path, root: root)
                files.removeAll { $0.name == file.name }
                files.append(file)
            }
        }
        return ZooSources(files: files)
    }

    /// Parses every zoo file.
    /// - Throws: ``ConfigError`` when a file is malformed, or when an entry name is defined in two files (a `--zoo` file
    ///   that redefines a built-in entry would otherwise be used by some commands and not by others).
    public func parse() throws(ConfigError) -> [ZooFile] {
        var parsed: [ZooFile] = []
        var definedIn: [String: String] = [:]
        for file in files {
            let zooFile = try ZooFile.parse(file.text, file: file.origin, name: file.name)
            for entry in zooFile.entries {
                if let other = definedIn[entry.name], other != file.origin {
                    throw ConfigError(file: file.origin, line: nil, key: entry.name,
                                      message: "entry '\(entry.name)' is already defined in \(other); rename it, or name your file "
                                          + "'\(files.first { $0.origin == other }?.name ?? other)' to replace that file as a whole")
                }
                definedIn[entry.name] = file.origin
            }
            parsed.append(zooFile)
        }
        return parsed
    }

    /// The text of `entry`'s config and where it came from: beside its zoo file, else the embedded copy.
    /// - Throws: ``ConfigError`` when the config is not found, or when `entry` is a fusion entry (it has no model).
    public func configText(for entry: ZooEntry) throws(ConfigError) -> (text: String, origin: String) {
        let file = files.first { $0.name == entry.zooFile }
        guard let config = entry.config else {
            let streams = entry.fusion?.components.map(\.entry).joined(separator: ", ") ?? "none"
            throw ConfigError(file: file?.origin ?? entry.zooFile, line: nil, key: entry.name,
                              message: "'\(entry.name)' is a fusion entry with no model of its own; test its streams (\(streams)) and combine them with `skelzoo fuse \(entry.name)`")
        }
        if let root = file?.root {
            let url = root.appending(path: config)
            if let text = try Self.readText(url) { return (text, url.path) }
        }
        if let text = EmbeddedZoo.files[config] { return (text, "embedded:\(config)") }
        throw ConfigError(file: file?.origin ?? entry.zooFile, line: nil, key: "\(entry.name).Config",
                          message: "config '\(config)' not found (looked beside the zoo file and in the built-in configs)")
    }

    /// The UTF-8 text of a config or zoo file, or nil when there is no file at `url` (the only case a caller may fall
    /// back from).
    /// - Throws: ``ConfigError`` naming the file when it exists but cannot be read or is not UTF-8.
    public static func readText(_ url: URL) throws(ConfigError) -> String? {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
            let reason = isDirectory.boolValue ? "is a folder, expected a YAML file" : "cannot be read: \((error as NSError).localizedDescription)"
            throw ConfigError(file: url.path, line: nil, key: "", message: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: url.path, line: nil, key: "", message: "is not valid UTF-8 text (configs and zoo files are UTF-8 YAML)")
        }
        return text
    }

    /// `entry`'s parsed MMAction2 0.x config.
    /// - Throws: ``ConfigError`` when it is malformed, or is a 1.x config (read those with ``entryConfig(for:)``).
    public func config(for entry: ZooEntry) throws(ConfigError) -> ExperimentConfig {
        let (text, origin) = try configText(for: entry)
        guard try ConfigKind.of(text, file: origin) == .mmaction0x else {
            throw ConfigError(file: origin, line: nil, key: entry.name,
                              message: "'\(entry.name)' is an MMAction2 1.x entry (RecognizerGCN); this command supports the 0.x entries only")
        }
        return try ExperimentConfig.parse(text, file: origin)
    }

    /// `entry`'s parsed config, 0.x or 1.x.
    public func entryConfig(for entry: ZooEntry) throws(ConfigError) -> EntryConfig {
        let (text, origin) = try configText(for: entry)
        return try EntryConfig.parse(text, file: origin)
    }

    /// Every embedded config path (for tests and `--help`).
    public static var embeddedConfigPaths: [String] {
        EmbeddedZoo.files.keys.filter { $0.hasPrefix("configs/") }.sorted()
    }

    /// The embedded text of a repository-relative path such as `configs/stgcn/x.yml`.
    public static func embeddedText(_ path: String) -> String? { EmbeddedZoo.files[path] }
}

/// A zoo entry's config, of either release.
public enum EntryConfig: Sendable, Equatable {
    case mmaction0x(ExperimentConfig)
    case mmaction1x(RecognizerGCNConfig)

    /// Parses `text` (read from `file`) as whichever release's config it is.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> EntryConfig {
        switch try ConfigKind.of(text, file: file) {
        case .mmaction0x: .mmaction0x(try ExperimentConfig.parse(text, file: file))
        case .mmaction1x: .mmaction1x(try RecognizerGCNConfig.parse(text, file: file))
        }
    }

    /// Every annotation file the config reads (train, val, test; repeated paths once), relative to the data root.
    public var annotationFiles: [String] {
        let files: [String]
        switch self {
        case .mmaction0x(let config): files = [config.data.train.annFile, config.data.val.annFile, config.data.test.annFile]
        case .mmaction1x(let config): files = [config.train.annFile, config.val.annFile, config.test.annFile]
        }
        var seen: Set<String> = []
        return files.filter { seen.insert($0).inserted }
    }
}
