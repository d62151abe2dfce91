import Foundation
import Testing
import ZooTestSupport

@Suite struct TestCommandTests {
    @Test func testReproducesTheFixtureLogitsAndMetrics() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = dir.appending(path: "result.json")
        let result = try Fixtures.runSkelzoo([
            "test", "stgcn_80e_ntu60_xsub_keypoint_3d", Fixtures.url("v2_ntu60/checkpoint.pth").path,
            "--ann-file", Fixtures.url("ann/ntu3d_0x.pkl").path, "--out", out.path, "--batch-size", "3", "--home", dir.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // Metrics from the fixture logits with MMAction2's definitions: top5 hits labels 0 and 7 (2 of 8).
        #expect(result.stdout == "top1_acc: 0.0000\ntop5_acc: 0.2500\nmean_class_accuracy: 0.0000\n")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: Double])
        #expect(metrics["top5_acc"] == 0.25)
        let samples = try #require(json["samples"] as? [[String: Any]])
        #expect(samples.map { $0["frame_dir"] as? String }.count == 8)
        let scores = samples.flatMap { ($0["scores"] as? [Double] ?? []).map(Float.init) }
        expectClose(scores, try FixtureTensor.load("ann/pipeline_ntu3d/logits_v2_ntu60").floats, "logits")
        // The run is recorded.
        let show = try Fixtures.runSkelzoo(["show", "stgcn_80e_ntu60_xsub_keypoint_3d", "--home", dir.path])
        #expect(show.stdout.contains("eval seed=- succeeded"))
    }

    @Test func aCheckpointForAnotherLayoutIsAClearError() throws {
        let result = try Fixtures.runSkelzoo([
            "test", "stgcn_80e_ntu60_xsub_keypoint", Fixtures.url("v2_ntu60/checkpoint.pth").path,
            "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", Fixtures.temporaryDirectory().path,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("backbone.A expected [3, 17, 17], found [3, 25, 25]"))
        #expect(result.stderr.contains("hint: check that the config"))
    }

    @Test func aTruncatedCheckpointIsAClearError() throws {
        let dir = Fixtures.temporaryDirectory()
        let truncated = dir.appending(path: "half.pth")
        let full = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        try full.prefix(full.count / 3).write(to: truncated)
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", truncated.path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(truncated.path): damaged or unsupported zip archive"))
    }

    @Test func twoDimensionalDataOnAThreeDimensionalModelNamesTheMismatch() throws {
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint_3d", Fixtures.url("v2_ntu60/checkpoint.pth").path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("has 17 joints, the ntu-rgb+d layout has 25"))
    }
}
