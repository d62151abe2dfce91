import Foundation
import Testing
import ZooTestSupport
@testable import ZooTorch

/// Every input a fuzz target (Fuzz/, `make fuzz`) ever reported, and hand-made hostile inputs for the same readers,
/// kept as bytes under Tests/ZooTorchTests/Fuzz/<target>/ and fed back to the reader with the error it must give now.
/// `make fuzz` also seeds each target's corpus with them.
@Suite struct FuzzRegressionTests {
    static let folder = Fixtures.repositoryRoot.appending(path: "Tests/ZooTorchTests/Fuzz")

    /// File (under the folder) -> what loading it must throw, and what it did before the fix.
    static let expected: [String: CheckpointError] = [
        // LeakSanitizer: a list appended to itself was never freed (the 4-byte input: ] ] DUP APPEND).
        "PickleFuzzer/leak-list-contains-itself.bin": .cycle(offset: 3),
        // Hand-made: a ZIP64 local header offset of Int.max; the bounds check computed offset + 4 and trapped.
        "ZipFuzzer/zip64-local-offset-near-int-max.zip": .badArchive("record at byte 9223372036854775807 runs past the end"),
    ]

    static var files: [String] {
        let manager = FileManager.default
        let targets = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        return targets.flatMap { target in
            ((try? manager.contentsOfDirectory(atPath: folder.appending(path: target).path)) ?? []).map { "\(target)/\($0)" }
        }.sorted()
    }

    @Test func everyCommittedFindingHasAnExpectation() {
        #expect(!Self.files.isEmpty)
        #expect(Set(Self.files) == Set(Self.expected.keys))
    }

    @Test(arguments: files) func findingGivesItsTypedError(_ file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appending(path: file)))
        let expected = try #require(Self.expected[file])
        if file.hasPrefix("PickleFuzzer/") {
            #expect(throws: expected) { try Unpickler.load(bytes) }
        } else {
            #expect(throws: expected) { try TorchCheckpoint.load(bytes: bytes) }
        }
    }
}
