import Foundation
import Testing
import ZooTestSupport

/// `skelzoo test` on an MMAction2 1.x zoo entry, end to end through the binary: the entry's config, the released 1.x
/// checkpoint layout and a 1.x annotation file made by MMAction2 1.2.0 (../shared/fixtures/mmaction1x).
/// (All three fixture variants are checked at the ZooRunner level in ClipEvaluatorTests; here one, for the CLI's part.)
@Suite struct OneXTestCommandTests {
    struct Expected: Decodable {
        struct Sample: Decodable { var frame_dir: String; var label: Int; var scores: [Float] }
        var metrics: [String: Double]
        var samples: [Sample]
    }

    @Test func testOnAOneXEntryPrintsAccMetricAndWritesPredScore() throws {
        let root = "mmaction1x/stgcn_j_ntu60_2d"
        let dir = Fixtures.temporaryDirectory("test-1x")
        let out = dir.appending(path: "result.json")
        let result = try Fixtures.runSkelzoo(["test", "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", Fixtures.url("\(root)/checkpoint.pth").path,
                                              "--ann-file", Fixtures.url("\(root)/ann.pkl").path, "--out", out.path, "--threads", "2",
                                              "--home", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.url("\(root)/expected.json")))
        // The config's test split (xsub_val) is used without --split; metrics under MMAction2 1.x's names.
        let format = { (value: Double?) in String(format: "%.4f", value ?? -1) }
        #expect(result.stdout == """
            acc/top1: \(format(expected.metrics["top1"]))
            acc/top5: \(format(expected.metrics["top5"]))
            acc/mean1: \(format(expected.metrics["mean1"]))

            """)
        #expect(result.stderr.contains("testing") && result.stderr.contains("10/10"), "progress over the samples: \(result.stderr)")
        let written = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: out))
        #expect(written.metrics == ["acc/top1": try #require(expected.metrics["top1"]), "acc/top5": try #require(expected.metrics["top5"]),
                                    "acc/mean1": try #require(expected.metrics["mean1"])])
        #expect(written.samples.map(\.frame_dir) == expected.samples.map(\.frame_dir))
        #expect(written.samples.map(\.label) == expected.samples.map(\.label))
        for (actual, wanted) in zip(written.samples, expected.samples) {
            expectClose(actual.scores, wanted.scores, absolute: 1e-5, relative: 0, actual.frame_dir)
        }
    }

    @Test func aZeroXAnnotationFileForAOneXEntrySaysWhy() throws {
        let dir = Fixtures.temporaryDirectory("test-1x-bad")
        let result = try Fixtures.runSkelzoo(["test", "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d",
                                              Fixtures.url("mmaction1x/stgcn_j_ntu60_2d/checkpoint.pth").path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("split 'xsub_val' requested, but this is a 0.x file"), "\(result.stderr)")
    }

    @Test func aOneXCheckpointUnderAZeroXEntryIsRefusedByName() throws {
        let dir = Fixtures.temporaryDirectory("test-1x-mismatch")
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", Fixtures.url("mmaction1x/stgcn_j_ntu60_2d/checkpoint.pth").path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("check that the config"), "\(result.stderr)")
    }
}
