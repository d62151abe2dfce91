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
    }
}

import ZooTorch
enum ZooTorchCheckpoint {
    static func load(_ url: URL) throws -> TorchCheckpoint { try TorchCheckpoint.load(contentsOf: url) }
}
