import Foundation
import Testing
import ZooTestSupport

/// `skelzoo train` on a tiny MMAction2 1.x config (``TinyConfig/oneX(kind:classes:frames:epochs:batch:repeatTimes:numClips:)``)
/// with data from `skelzoo data synth --format 1.x`: it trains, validates with AccMetric's names, tests with the test
/// pipeline, and a second run with another thread count gives the same bits.
@Suite struct Train1xCommandTests {
    @Test func trainsATiny1xConfigFromTheCommandLine() throws {
        let dir = Fixtures.temporaryDirectory("train1x-cli")
        let config = dir.appending(path: "tiny1x.yml")
        try Data(TinyConfig.oneX(kind: "stgcnpp").utf8).write(to: config)
        let root = dir.appending(path: "data")
        let synth = try Fixtures.runSkelzoo(["data", "synth", "--layout", "coco", "--classes", "3", "--train", "12", "--val", "6", "--frames", "20",
                                             "--format", "1.x", "--out", root.appending(path: "tiny1x").path])
        #expect(synth.status == 0, "\(synth.stderr)")
        var hashes: [String] = []
        for threads in ["1", "2"] {
            let work = dir.appending(path: "run\(threads)")
            let run = try Fixtures.runSkelzoo(["train", config.path, "--seed", "1", "--work-dir", work.path, "--data-root", root.path,
                                               "--threads", threads, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let metrics = try #require(result["metrics"] as? [String: Double])
            #expect(Set(metrics.keys) == ["acc/top1", "acc/top5", "acc/mean1"])
            #expect(result["iterations"] as? Int == 12)
            #expect(run.stderr.contains("test (2 clips per sample)"), "\(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: work.appending(path: "epoch_2.pth").path))
            hashes.append(try #require(result["weights_sha256"] as? String))
        }
        #expect(hashes[0] == hashes[1])
    }

    @Test func moreThanOneGPUIsAClearErrorFor1x() throws {
        let dir = Fixtures.temporaryDirectory("train1x-gpus")
        let config = dir.appending(path: "tiny1x.yml")
        try Data(TinyConfig.oneX().utf8).write(to: config)
        let run = try Fixtures.runSkelzoo(["train", config.path, "--seed", "1", "--work-dir", dir.appending(path: "w").path,
                                           "--data-root", dir.path, "--gpus", "2"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("MMAction2 1.x configs train in one process"), "\(run.stderr)")
    }
}
