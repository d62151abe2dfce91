import Foundation
import Testing
import ZooConfig
import ZooPose
import ZooTestSupport
@testable import ZooRunner

@Suite struct TrainingTests {
    @Test func aTinyRunOnSyntheticDataLearnsWellAboveChance() throws {
        let text = TinyConfig.text(classes: 4, train: 96, val: 48, frames: 24, epochs: 6, channels: "[16, 16, 32]", dropout: 0, steps: "[5]")
        let config = try TinyConfig.config(text)
        let root = Fixtures.temporaryDirectory("learn")
        let (train, val) = try DeterminismTests.data(config, root: root)
        let setup = TrainingSetup(config: config, configHash: "x", configName: "tiny", seed: 0, threads: 2,
                                  workDirectory: Fixtures.temporaryDirectory("learn-run"))
        let result = try Trainer(setup, train: train, val: val).run()
        let top1 = try #require(result.metrics["top1_acc"])
        #expect(top1 >= 0.5, "val top-1 \(top1), chance is 0.25")
        #expect(result.history.first!.loss > result.history.last!.loss)
    }

    @Test func aDivergingLossStopsWithTheIteration() throws {
        let text = TinyConfig.text(epochs: 2, lr: 1e12)
        let config = try TinyConfig.config(text)
        let (train, val) = try DeterminismTests.data(config, root: Fixtures.temporaryDirectory("nan"))
        let setup = TrainingSetup(config: config, configHash: "x", configName: "tiny", seed: 0, threads: 1,
                                  workDirectory: Fixtures.temporaryDirectory("nan-run"))
        do {
            _ = try Trainer(setup, train: train, val: val).run()
            Issue.record("expected the run to stop")
        } catch let error as RunnerError {
            #expect(error.message.contains("at iteration"))
            #expect(error.message.contains("training stopped"))
        }
    }

    @Test func checkpointsCarryMetaAndOptimizerStateAndLoadBack() throws {
        let run = try DeterminismTests.train(threads: 2)
        let file = try ZooTorchCheckpoint.load(run.directory.appending(path: "epoch_2.pth"))
        #expect(file.meta?["epoch"]?.int == 2)
        #expect(file.meta?["iter"]?.int == 24)
        #expect(file.meta?["seed"]?.int == 0)
        #expect(file.root.dictionary?["optimizer"]?.dictionary?["param_groups"] != nil)
        // What the trainer adds from mmcv's meta (issue 11 §4; the keys themselves: CheckpointMetaTests). The tests' runs
        // fix the time so that checkpoint bytes compare.
        #expect(file.meta?["config"]?.string?.hasPrefix("# MMAction2 0.24.1-style config of tiny, as SkelZoo trained it.") == true)
        #expect(file.meta?["time"]?.string == CheckpointProvenance.asctime(Date(timeIntervalSince1970: 0)))
        #expect(file.meta?["env_info"]?.string == CheckpointProvenance.environmentInfo(.current))
        #expect(file.meta?["hook_msgs"]?.dictionary != nil)
    }
}

import ZooTorch
enum ZooTorchCheckpoint {
    static func load(_ url: URL) throws -> TorchCheckpoint { try TorchCheckpoint.load(contentsOf: url) }
}

@Suite struct LoadFromTests {
    @Test func loadFromStartsFromTheGivenWeights() throws {
        // A model that has learned (the config of aTinyRunOnSyntheticDataLearnsWellAboveChance), then one epoch more
        // of the same config started from its weights, against one started fresh.
        let text = TinyConfig.text(classes: 4, train: 96, val: 48, frames: 24, epochs: 6, channels: "[16, 16, 32]", dropout: 0, steps: "[5]")
        let trained = try DeterminismTests.train(text, threads: 2)
        let config = try TinyConfig.config(TinyConfig.text(classes: 4, train: 96, val: 48, frames: 24, epochs: 1, channels: "[16, 16, 32]", dropout: 0, steps: "[5]"))
        let (train, val) = try DeterminismTests.data(config, root: Fixtures.temporaryDirectory("load-data"))
        func firstLoss(_ loadFrom: URL?) throws -> Double {
            let work = Fixtures.temporaryDirectory("load-run")
            let setup = TrainingSetup(config: config, configHash: "x", configName: "tiny", seed: 5, threads: 2, workDirectory: work, loadFrom: loadFrom)
            _ = try Trainer(setup, train: train, val: val).run()
            let first = try String(contentsOf: work.appending(path: "log.jsonl"), encoding: .utf8).split(separator: "\n").first!
            let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
            return try #require(object?["loss"] as? Double)
        }
        let fresh = try firstLoss(nil)
        let loaded = try firstLoss(trained.directory.appending(path: "latest.pth"))
        #expect(loaded < 0.8 * fresh, "a trained start (\(loaded)) beats a fresh one (\(fresh))")
    }
}
