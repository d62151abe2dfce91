import Foundation
import Testing
import ZooTestSupport
import ZooTorch
@testable import ZooPose

/// Every input AnnotationFuzzer (Fuzz/, `make fuzz`) ever reported, kept as bytes under
/// Tests/ZooPoseTests/Fuzz/AnnotationFuzzer/ and loaded again: each must now be refused with the message given here.
@Suite struct FuzzRegressionTests {
    static let folder = Fixtures.repositoryRoot.appending(path: "Tests/ZooPoseTests/Fuzz/AnnotationFuzzer")

    struct Expectation: Sendable {
        var split: String?
        /// The AnnotationError's message.
        var message: String
    }

    /// File -> the split to load and the error it must give; the comment says what happened before the fix.
    static let expected: [String: Expectation] = [
        // A NaN keypoint_score passed the reader and reached the model input through the score channel.
        "nan-keypoint-score.pkl": .init(split: nil, message: "sample 0: 'keypoint_score' holds NaN or infinite values"),
    ]

    static var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }

    @Test func everyCommittedFindingHasAnExpectation() {
        #expect(!Self.files.isEmpty)
        #expect(Set(Self.files) == Set(Self.expected.keys))
    }

    @Test(arguments: files) func findingGivesItsError(_ file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appending(path: file)))
        let expected = try #require(Self.expected[file])
        let error = #expect(throws: AnnotationError.self) { try AnnotationFile.load(bytes: bytes, file: file, split: expected.split) }
        #expect(error?.message == expected.message)
    }
}
