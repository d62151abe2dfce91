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

/// `reproduce --mode train` retrains MMAction2 1.x entries: skipped with its fix while the data is absent, and run,
/// recorded and judged (against the published Top-1 with the 10-clip test metrics) when it is here.
@Suite struct Reproduce1xTrainTests {
    @Test func reproduceTrainSkipsA1xEntryOnlyForItsMissingData() throws {
        let home = Fixtures.temporaryDirectory().path
        let entry = "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d"
        let result = try Fixtures.runSkelzoo(["reproduce", entry, "--mode", "train", "--home", home, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.first?["status"] as? String == "skipped")
        #expect(outcomes.first?["reason"] as? String == "training annotations data/skeleton/ntu60_2d.pkl not found under the data root")
        #expect(outcomes.first?["fix"] as? String == "skelzoo download \(entry) --data")
    }

    @Test func reproduceTrainRetrainsA1xEntryWhoseDataIsHere() throws {
        let folder = Fixtures.temporaryDirectory()
        let home = folder.appending(path: "home")
        let configs = folder.appending(path: "configs")
        try FileManager.default.createDirectory(at: configs, withIntermediateDirectories: true)
        try Data(TinyConfig.oneX().utf8).write(to: configs.appending(path: "tiny1x.yml"))
        let synth = try Fixtures.runSkelzoo(["data", "synth", "--layout", "coco", "--classes", "3", "--train", "12", "--val", "6", "--frames", "20",
                                             "--format", "1.x", "--out", home.appending(path: "tiny1x").path])
        #expect(synth.status == 0, "\(synth.stderr)")
        let zoo = folder.appending(path: "tiny1x-zoo.yml")
        try Data("""
        Collections: [{Name: Tiny-1x}]
        Models:
          - Name: tiny_stgcn_1x
            Config: configs/tiny1x.yml
            In Collection: Tiny-1x
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: synthetic, Task: Skeleton-based Action Recognition, Source: none (a test entry), Metrics: {Top 1 Accuracy: "50.00"}}

        """.utf8).write(to: zoo)
        let result = try Fixtures.runSkelzoo(["reproduce", "tiny_stgcn_1x", "--mode", "train", "--zoo", zoo.path, "--home", home.path,
                                              "--threads", "2", "--json"])
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.first?["status"] as? String == "ran", "\(result.stderr)")
        #expect(outcomes.first?["mode"] as? String == "train")
        let metrics = try #require(outcomes.first?["metrics"] as? [String: Double])
        #expect(Set(metrics.keys) == ["acc/top1", "acc/top5", "acc/mean1"])
        #expect(FileManager.default.fileExists(atPath: home.appending(path: "runs/tiny_stgcn_1x/seed0/epoch_2.pth").path))
        let shown = try Fixtures.runSkelzoo(["show", "tiny_stgcn_1x", "--zoo", zoo.path, "--home", home.path])
        #expect(shown.stdout.contains("acc/top1="), "\(shown.stdout)")
    }
}
