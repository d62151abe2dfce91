import Foundation
import ZooConfig
import ZooIO
import ZooRunner

/// A model given on the command line: a zoo entry name, or a config file.
public enum ModelArgument {
    /// A model argument of either release.
    public struct Resolved {
        public var config: EntryConfig
        public var entry: ZooEntry?
        /// The zoo and registry, for a zoo entry (nil for a config file: such runs are not recorded).
        public var context: ZooContext?
        /// sha256 of the config text.
        public var configHash: String
        /// The entry's name, else the config file's name without its extension.
        public var name: String
    }

    /// Reads `argument` as a config file when it looks like a path (`.yml`, `.yaml`, a `/`), else as a zoo entry of `context()`.
    public static func resolve(_ argument: String, context: () throws -> ZooContext) throws -> Resolved {
        let looksLikeFile = argument.hasSuffix(".yml") || argument.hasSuffix(".yaml") || argument.contains("/")
        if looksLikeFile {
            guard let text = try ZooSources.readText(URL(fileURLWithPath: argument)) else { throw HarnessError("no config file at \(argument)") }
            return Resolved(config: try EntryConfig.parse(text, file: argument), entry: nil, context: nil,
                               configHash: Hashing.sha256(Data(text.utf8)),
                               name: URL(fileURLWithPath: argument).deletingPathExtension().lastPathComponent)
        }
        let context = try context()
        let entry = try context.entry(named: argument)
        let (text, origin) = try context.sources.configText(for: entry)
        return Resolved(config: try EntryConfig.parse(text, file: origin), entry: entry, context: context,
                           configHash: Hashing.sha256(Data(text.utf8)), name: entry.name)
    }
}
