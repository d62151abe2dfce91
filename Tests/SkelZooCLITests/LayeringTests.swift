import Foundation
import Testing
import ZooTestSupport

/// The CLI parses, calls ZooHarness and prints: it imports no compute module (issue 11, section 1).
@Suite struct LayeringTests {
    static let allowed: Set<String> = ["ArgumentParser", "Foundation", "ZooConfig", "ZooFetch", "ZooHarness", "ZooIO", "ZooRegistry", "ZooReport"]

    @Test func theCLIImportsNoComputeModule() throws {
        let folder = Fixtures.repositoryRoot.appending(path: "Sources/SkelZooCLI")
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appending(path: file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                let module = String(line.split(separator: " ").last ?? "")
                #expect(Self.allowed.contains(module), "\(file) imports \(module)")
            }
        }
    }
}
