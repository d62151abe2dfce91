// Writing a fuzz target's seed corpus: fixture files found under ../shared/fixtures and inputs the target builds.
import Foundation

public enum Seeds {
    /// Every file under `fixtures` whose name ends in one of `suffixes`, sorted by path.
    public static func files(under fixtures: URL, endingIn suffixes: [String]) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: nil) else {
            throw SeedError("cannot list \(fixtures.path)")
        }
        var found: [URL] = []
        for case let url as URL in walker where suffixes.contains(where: { url.lastPathComponent.hasSuffix($0) }) {
            found.append(url)
        }
        guard !found.isEmpty else { throw SeedError("no \(suffixes.joined(separator: ", ")) files under \(fixtures.path)") }
        return found.sorted { $0.path < $1.path }
    }

    /// A stable seed name for a fixture: its path below `fixtures` with `/` as `-`.
    public static func name(of url: URL, under fixtures: URL) -> String {
        String(url.path.dropFirst(fixtures.path.count)).trimmingCharacters(in: ["/"]).replacingOccurrences(of: "/", with: "-")
    }

    public static func read(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    public static func write(_ bytes: [UInt8], named name: String, into corpus: URL) throws {
        try Data(bytes).write(to: corpus.appending(path: "seed-\(name)"), options: .atomic)
    }
}

public struct SeedError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
