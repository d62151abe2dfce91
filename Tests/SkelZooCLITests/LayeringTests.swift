import Foundation
import Testing
import ZooTestSupport

/// Which module may import which (issue 11, section 1): the CLI parses, calls ZooHarness and prints, so it imports no
/// compute module; the compute layers map no YAML, so they import neither ZooConfig nor Yams.
@Suite struct LayeringTests {
    static let allowed: Set<String> = ["ArgumentParser", "Foundation", "ZooConfig", "ZooFetch", "ZooHarness", "ZooIO", "ZooRegistry", "ZooReport"]
    /// The compute layers; ZooConfig maps YAML onto their types, never the other way round.
    static let computeTargets = ["ZooPose", "ZooSTGCN", "ZooTensor", "ZooTorch"]
    static let configModules: Set<String> = ["ZooConfig", "Yams"]

    @Test func theCLIImportsNoComputeModule() throws {
        let imports = try Self.imports(under: "Sources/SkelZooCLI")
        #expect(!imports.isEmpty)
        for (file, module) in imports {
            #expect(Self.allowed.contains(module), "\(file) imports \(module)")
        }
    }

    @Test(arguments: computeTargets) func aComputeTargetImportsNeitherZooConfigNorYams(_ target: String) throws {
        let imports = try Self.imports(under: "Sources/\(target)")
        #expect(!imports.isEmpty)
        for (file, module) in imports {
            #expect(!Self.configModules.contains(module), "Sources/\(target)/\(file) imports \(module)")
        }
    }

    @Test func theImportScanSeesEveryFormOfImport() {
        let text = """
            import Foundation
            @testable import ZooConfig
            @_exported import Yams
            import struct ZooConfig.ExperimentConfig
              import ZooTensor // indented
            // import ZooRunner (a comment)
            let important = 1
            """
        #expect(Self.modules(in: text) == ["Foundation", "ZooConfig", "Yams", "ZooConfig", "ZooTensor"])
    }

    /// The README's layout lists every target under Sources/ with the dependencies Package.swift gives it, so the map a
    /// reader sees cannot drift from the one the build uses.
    @Test func theReadmeLayoutNamesEachTargetWithItsDependencies() throws {
        let root = Fixtures.repositoryRoot
        let package = try Self.targetDependencies(packageSwift: String(contentsOf: root.appending(path: "Package.swift"), encoding: .utf8))
        let readme = try Self.layoutDependencies(readme: String(contentsOf: root.appending(path: "README.md"), encoding: .utf8))
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.appending(path: "Sources").path)
        let targets = package.keys.filter(folders.contains)
        #expect(targets.count >= 10)
        for target in targets.sorted() {
            #expect(readme[target] == package[target], "README layout: \(target) -> \(readme[target].map { $0.sorted().joined(separator: ", ") } ?? "missing")")
        }
        #expect(Set(readme.keys).isSubset(of: Set(targets)), "README layout names targets Package.swift does not have")
    }

    // MARK: - Helpers

    /// `.target(name: "X", dependencies: ["A", .product(name: "B", package: "p")])` and `.executableTarget(...)` in
    /// Package.swift: X -> {A, B}. System libraries and test targets are left out.
    static func targetDependencies(packageSwift text: String) throws -> [String: Set<String>] {
        let target = try Regex(#"\.(?:target|executableTarget)\(\s*name:\s*"([^"]+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?"#)
        let quoted = try Regex(#""([^"]+)""#)
        var result: [String: Set<String>] = [:]
        for match in text.matches(of: target) {
            let name = String(match.output[1].substring ?? "")
            let list = (match.output[2].substring.map(String.init) ?? "").replacing(try Regex(#"package:\s*"[^"]*""#), with: "")
            result[name] = Set(list.matches(of: quoted).compactMap { $0.output[1].substring.map(String.init) })
        }
        return result
    }

    /// The `  Target -> A, B` lines of the README's Layout section (`nothing` for none).
    static func layoutDependencies(readme text: String) throws -> [String: Set<String>] {
        let section = try #require(text.range(of: "## Layout").map { text[$0.upperBound...] })
        let line = try Regex(#"^  (\w+)\s+-> (.+)$"#)
        var result: [String: Set<String>] = [:]
        for row in section.split(separator: "\n") {
            guard let match = row.wholeMatch(of: line) else { continue }
            let list = String(match.output[2].substring ?? "").trimmingCharacters(in: .whitespaces)
            result[String(match.output[1].substring ?? "")] = list == "nothing" ? [] : Set(list.components(separatedBy: ", "))
        }
        return result
    }

    /// Every `import` in the Swift files under `folder` (relative to the repository root): (file, module).
    static func imports(under folder: String) throws -> [(file: String, module: String)] {
        let root = Fixtures.repositoryRoot.appending(path: folder)
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        return try files.sorted().flatMap { file in
            try modules(in: String(contentsOf: root.appending(path: file), encoding: .utf8)).map { (file, $0) }
        }
    }

    /// The modules a Swift source imports, in order: `import M`, `@testable import M`, `import struct M.Type`, indented or
    /// not; comments are not imports.
    static func modules(in text: String) -> [String] {
        let kinds: Set<Substring> = ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"]
        return text.split(separator: "\n").compactMap { line in
            var words = line.split(whereSeparator: \.isWhitespace)[...]
            while let first = words.first, first.hasPrefix("@") || ["public", "internal", "package", "private", "fileprivate"].contains(first) {
                words = words.dropFirst()
            }
            guard words.first == "import" else { return nil }
            words = words.dropFirst()
            if let kind = words.first, kinds.contains(kind) { words = words.dropFirst() }
            return words.first.map { String($0.split(separator: ".")[0]) }
        }
    }
}
