// Strict, typed reading of YAML documents with errors that name the file, the line and the key.
//
// Swift's `Decodable` ignores unknown keys and reports no line numbers, so zoo and config files are
// read through this small layer over Yams' node tree instead: every mapping is consumed key by key
// and `finish()` rejects whatever was not consumed.
import Foundation
import Yams

/// A problem in a YAML file: where it is and what was expected.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file being read.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// Dotted key path, e.g. `model.backbone.graph_cfg.layout`.
    public var key: String
    /// What is wrong and what was expected.
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}

/// A YAML node with its file and key path, read with typed accessors.
public struct YAMLValue {
    let node: Node
    /// The file the node comes from (for errors).
    public let file: String
    /// Dotted key path of this node.
    public let path: String

    /// Parses a whole document.
    /// - Throws: ``ConfigError`` for malformed YAML or an empty document.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), key: "", message: "malformed YAML: \(Self.problem(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, key: "", message: "malformed YAML: \(error)")
        }
        guard let root else { throw ConfigError(file: file, line: nil, key: "", message: "empty document") }
        return YAMLValue(node: root, file: file, path: "")
    }

    /// Reads and parses a file.
    public static func load(contentsOf url: URL) throws(ConfigError) -> YAMLValue {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: url.path, line: nil, key: "", message: "cannot read file: \((error as NSError).localizedDescription)")
        }
        return try parse(text, file: url.path)
    }

    /// 1-based line of this node.
    public var line: Int? { node.mark?.line }

    /// An error located at this node.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, message: message)
    }

    public var isNull: Bool {
        if case .scalar(let scalar) = node { return scalar.string == "null" || scalar.string == "~" || (scalar.string.isEmpty && scalar.style == .plain) }
        return false
    }

    // MARK: - Scalars

    /// The scalar's text exactly as written (e.g. "33.00").
    public func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw error("expected a string") }
        return scalar.string
    }

    public func int() throws(ConfigError) -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            throw error("expected an integer, found \(describe())")
        }
        return value
    }

    public func double() throws(ConfigError) -> Double {
        guard case .scalar(let scalar) = node, scalar.style == .plain,
              let value = Double(scalar.string), value.isFinite else {
            throw error("expected a number, found \(describe())")
        }
        return value
    }

    public func bool() throws(ConfigError) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { throw error("expected true or false, found \(describe())") }
        switch scalar.string {
        case "true", "True": return true
        case "false", "False": return false
        default: throw error("expected true or false, found \(describe())")
        }
    }

    // MARK: - Collections

    /// The elements of a sequence.
    public func array() throws(ConfigError) -> [YAMLValue] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, found \(describe())") }
        return sequence.enumerated().map { YAMLValue(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    public func array<T>(_ read: (YAMLValue) throws(ConfigError) -> T) throws(ConfigError) -> [T] {
        var result: [T] = []
        for element in try array() { result.append(try read(element)) }
        return result
    }

    /// A mapping, read key by key; call ``YAMLMap/finish()`` to reject unknown keys.
    public func map() throws(ConfigError) -> YAMLMap {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(describe())") }
        var entries: [(String, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw ConfigError(file: file, line: key.mark?.line, key: path, message: "mapping keys must be plain strings")
            }
            if entries.contains(where: { $0.0 == scalar.string }) {
                throw ConfigError(file: file, line: key.mark?.line, key: join(scalar.string), message: "duplicate key")
            }
            entries.append((scalar.string, value))
        }
        return YAMLMap(owner: self, entries: entries)
    }

    func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func describe() -> String {
        switch node {
        case .scalar(let scalar): return isNull ? "null" : "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context.map { "\($0.text)" }, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}

/// A YAML mapping whose keys are consumed one by one.
public final class YAMLMap {
    let owner: YAMLValue
    let entries: [(String, Node)]
    private var consumed: Set<String> = []
    /// Every key asked for, present or not: the keys this mapping may hold.
    private var known: Set<String> = []

    init(owner: YAMLValue, entries: [(String, Node)]) {
        self.owner = owner
        self.entries = entries
    }

    public var keys: [String] { entries.map(\.0) }

    /// The value at `key`; throws if missing.
    public func value(_ key: String) throws(ConfigError) -> YAMLValue {
        guard let value = optional(key) else { throw owner.error("missing key '\(key)'") }
        return value
    }

    /// The value at `key`, or nil when absent (an explicit `null` is returned as a null value).
    public func optional(_ key: String) -> YAMLValue? {
        known.insert(key)
        guard let entry = entries.first(where: { $0.0 == key }) else { return nil }
        consumed.insert(key)
        return YAMLValue(node: entry.1, file: owner.file, path: owner.join(key))
    }

    /// The value at `key` unless absent or null.
    public func nonNull(_ key: String) -> YAMLValue? {
        guard let value = optional(key), !value.isNull else { return nil }
        return value
    }

    public func string(_ key: String) throws(ConfigError) -> String { try value(key).string() }
    public func int(_ key: String) throws(ConfigError) -> Int { try value(key).int() }
    public func double(_ key: String) throws(ConfigError) -> Double { try value(key).double() }
    public func bool(_ key: String) throws(ConfigError) -> Bool { try value(key).bool() }

    /// Requires `key` to hold exactly `expected` (e.g. `type: STGCN`).
    public func expect(_ key: String, _ expected: String) throws(ConfigError) {
        let value = try value(key)
        guard try value.string() == expected else { throw value.error("expected '\(expected)', found \(value.describe())") }
    }

    /// Requires `key` to be present and null.
    public func expectNull(_ key: String) throws(ConfigError) {
        let value = try value(key)
        guard value.isNull else { throw value.error("expected null, found \(value.describe())") }
    }

    /// Rejects keys that were not read.
    public func finish() throws(ConfigError) {
        for (key, node) in entries where !consumed.contains(key) {
            throw ConfigError(file: owner.file, line: node.mark?.line, key: owner.join(key),
                              message: "unknown key (expected one of: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
