import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooPose
import ZooTestSupport
@testable import ZooRunner

/// Dataset fingerprints: each annotation file's sha256 and each split's sorted (frame_dir, label) list.
@Suite struct DatasetFingerprintTests {
    static func sample(_ frameDirectory: String, _ label: Int) -> PoseSample {
        PoseSample(frameDirectory: frameDirectory, label: label, totalFrames: 1, keypoint: [0, 0], keypointShape: [1, 1, 1, 2], keypointScore: nil)
    }

    @Test func fingerprintIsTheSHA256OfTheSortedPairs() {
        let samples = [Self.sample("b", 2), Self.sample("a", 10), Self.sample("a", 1)]
        // "a\0" "1\n" "a\0" "10\n" "b\0" "2\n", hashed.
        let expected = Hashing.sha256(Data("a\u{0}1\na\u{0}10\nb\u{0}2\n".utf8))
        #expect(DatasetFingerprint.fingerprint(samples) == expected)
        #expect(DatasetFingerprint.fingerprint(samples.reversed()) == expected)
    }

    @Test func fingerprintsAreStableAcrossRunsAndChangeWhenOneLabelChanges() throws {
        let config = try TinyConfig.config()
        let first = Fixtures.temporaryDirectory("fp-a"), second = Fixtures.temporaryDirectory("fp-b")
        var results: [[SplitFingerprint]] = []
        for root in [first, second] {
            let resolver = DataResolver(root: root)
            let files = try resolver.annotationFiles(for: config, entryName: nil)
            let train = try AnnotationFile.load(files.train).samples, val = try AnnotationFile.load(files.val).samples
            results.append(try DatasetFingerprint.trainingSplits(config: config, resolver: resolver, files: files, train: train, val: val))
        }
        #expect(results[0].map(\.fingerprint) == results[1].map(\.fingerprint))
        #expect(results[0].map(\.fileSHA256) == results[1].map(\.fileSHA256))
        #expect(results[0].map(\.split) == ["train", "val", "test"])
        #expect(results[0].map(\.samples) == [48, 24, 24])
        #expect(results[0].map(\.classes) == [4, 4, 4])
        #expect(results[0][0].fingerprint != results[0][1].fingerprint)

        var train = try AnnotationFile.load(DataResolver(root: first).annotationFiles(for: config, entryName: nil).train).samples
        let before = DatasetFingerprint.fingerprint(train)
        train[17].label = (train[17].label + 1) % 4
        #expect(DatasetFingerprint.fingerprint(train) != before)
        #expect(DatasetFingerprint.fingerprint(train).count == 64)
    }

    @Test func sameValidationAndTestSplitIsWarnedAbout() throws {
        let split = { (name: String, fingerprint: String) in
            SplitFingerprint(split: name, file: "/x/\(name).pkl", fileSHA256: "f", fingerprint: fingerprint, samples: 3, classes: 2)
        }
        let warnings = DatasetFingerprint.warnings([split("train", "aaa"), split("val", "bbb"), split("test", "bbb")])
        #expect(warnings == ["validation and test are the same split (3 samples, fingerprint bbb): the score is a validation score"])
        #expect(DatasetFingerprint.warnings([split("train", "aaa"), split("val", "bbb"), split("test", "ccc")]).isEmpty)
        #expect(DatasetFingerprint.warnings([split("train", "aaa"), split("val", "aaa")]).count == 1)
    }

    @Test func aRunRecordsItsSplitsInResultJSON() throws {
        let run = try DataParallelTrainingTests.train(gpus: 1, threads: 2, withData: true)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.directory.appending(path: "result.json"))) as? [String: Any])
        let data = try #require(json["data"] as? [[String: Any]])
        #expect(data.map { $0["split"] as? String } == ["train", "val", "test"])
        #expect(data.allSatisfy { ($0["file_sha256"] as? String)?.count == 64 && ($0["fingerprint"] as? String)?.count == 64 })
        #expect(run.result.weightsSHA256 == DeterminismTests.pinnedWeightsSHA256)
    }
}
