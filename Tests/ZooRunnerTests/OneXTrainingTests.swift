import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooPose
import ZooSTGCN
import ZooTestSupport
@testable import ZooRunner

/// Retraining MMAction2 1.x configs (ST-GCN 1.x, ST-GCN++) through the one training loop: the per-iteration cosine
/// schedule as mmengine computes it, and a tiny run's bits across thread counts and a kill + resume.
@Suite(.serialized) struct OneXTrainingTests {
    // MARK: - Schedule

    /// torch 2.13 `CosineAnnealingLR(SGD(lr=0.1), T_max, eta_min)`, the lr of each iteration before its step (mmengine's
    /// CosineAnnealingParamScheduler has the same chainable form), written down once by hand:
    ///   T_max 6, eta_min 0 (past T_max it takes the (t - 1 - T) % 2T == 0 branch), and T_max 5, eta_min 0.001.
    static let torchCosine6: [Double] = [0.1, 0.09330127018922195, 0.07500000000000001, 0.05, 0.025000000000000012, 0.006698729810778065,
                                         0.0, 0.006698729810778065]
    static let torchCosine5: [Double] = [0.1, 0.0905463412215599, 0.06579634122155989, 0.035203658778440096, 0.010453658778440105, 0.001,
                                         0.010453658778440102, 0.03520365877844012, 0.06579634122155993, 0.09054634122155995,
                                         0.10000000000000005, 0.09054634122155998, 0.06579634122155995]

    @Test func cosineScheduleMatchesTorchsCosineAnnealingLR() {
        // by_epoch + convert_to_iter_based: T_max 2 epochs x 3 iterations per epoch = 6 iterations.
        let converted = LearningRateSchedule.cosine(etaMin: 0, tMax: 2, byEpoch: true, convertToIterBased: true)
            .rates(base: 0.1, epochs: 2, iterationsPerEpoch: 3)
        let iterationBased = LearningRateSchedule.cosine(etaMin: 0.001, tMax: 5, byEpoch: false, convertToIterBased: false)
            .rates(base: 0.1, epochs: 13, iterationsPerEpoch: 1)
        let past = LearningRateSchedule.cosine(etaMin: 0, tMax: 6, byEpoch: false, convertToIterBased: false).rates(base: 0.1, epochs: 8, iterationsPerEpoch: 1)
        #expect(converted.count == 6)
        let pairs = Array(zip(converted, Self.torchCosine6)) + Array(zip(past, Self.torchCosine6)) + Array(zip(iterationBased, Self.torchCosine5))
        for (actual, expected) in pairs {
            // SkelZoo's portable cos against the platform libm's: the same to the last bit or within a few ulps.
            let tolerance: Double = 1e-15 * Swift.max(Swift.abs(expected), 1e-3)
            #expect(Swift.abs(actual - expected) <= tolerance, "\(actual) vs torch \(expected)")
        }
        // by_epoch without conversion: constant within an epoch, stepped per epoch.
        let perEpoch = LearningRateSchedule.cosine(etaMin: 0, tMax: 6, byEpoch: true, convertToIterBased: false).rates(base: 0.1, epochs: 3, iterationsPerEpoch: 2)
        #expect(perEpoch[0] == perEpoch[1] && perEpoch[2] == perEpoch[3] && abs(perEpoch[2] - Self.torchCosine6[1]) < 1e-16)
    }

    @Test func stepScheduleIsConstantWithinAnEpoch() throws {
        // The tiny 0.x config steps at epoch 2 with gamma 0.1.
        let schedule = try TinyConfig.config().lrSchedule
        let rates = LearningRateSchedule.step(schedule).rates(base: 0.03, epochs: 3, iterationsPerEpoch: 2)
        #expect(rates == [0.03, 0.03, 0.03, 0.03, 0.03 * 0.1, 0.03 * 0.1])
    }

    @Test func planReadsTheTranslatedConfigsTrainKeys() throws {
        let path = try #require(ZooSources.embeddedConfigPaths.first { $0.hasSuffix("/stgcnpp_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d.yml") })
        let config = try RecognizerGCNConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
        let plan = try TrainingPlan(config)
        #expect(plan.totalEpochs == 16 && plan.repeatTimes == 5 && plan.batchSize == 16 && plan.shuffle)
        #expect(plan.schedule == .cosine(etaMin: 0, tMax: 16, byEpoch: true, convertToIterBased: true))
        #expect(plan.optimizer.lr == 0.1 && plan.optimizer.momentum == 0.9 && plan.optimizer.weightDecay == 0.0005 && plan.optimizer.nesterov)
        #expect(plan.validates(afterEpoch: 1) && plan.checkpointInterval == 1)
    }

    // MARK: - Tiny runs

    static func data(root: URL) throws -> (train: [PoseSample], val: [PoseSample]) {
        let recipe = SyntheticRecipe(layout: "coco", classes: 3, trainCount: 12, valCount: 6, frames: 20, persons: 2, seed: 3)
        let directory = root.appending(path: "tiny1x")
        let files = try SyntheticSkeletons.write(recipe, to: directory, format: .v1x) { data, url in
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        return (try AnnotationFile.load(files[0], split: "train").samples, try AnnotationFile.load(files[0], split: "val").samples)
    }

    static func train(kind: String = "stgcn", threads: Int, directory: URL, resume: Bool = false, stop: StopRequest? = nil,
                      stopAfter: Int? = nil) throws -> TrainingResult {
        let text = TinyConfig.oneX(kind: kind)
        let config = try RecognizerGCNConfig.parse(text, file: "tiny1x.yml")
        let (train, val) = try data(root: Fixtures.temporaryDirectory("tiny1x-data"))
        var setup = TrainingSetup(config: .mmaction1x(config), configHash: Hashing.sha256(Data(text.utf8)), configName: "tiny1x", seed: 7,
                                  threads: threads, workDirectory: directory, resume: resume)
        setup.stopRequest = stop
        setup.checkpointTime = Date(timeIntervalSince1970: 0)
        var iterations = 0
        return try Trainer(setup, train: train, val: val).run { event in
            if case .iteration = event { iterations += 1 }
            if let stopAfter, iterations == stopAfter { stop?.request() }
        }
    }

    /// 2s-AGCN too: its backward exists, so it trains through the same loop.
    @Test(arguments: ["stgcn", "stgcnpp", "aagcn"]) func tinyRunHasTheSameBitsWithOneAndTwoThreads(_ kind: String) throws {
        let one = try Self.train(kind: kind, threads: 1, directory: Fixtures.temporaryDirectory("tiny1x-1"))
        let two = try Self.train(kind: kind, threads: 2, directory: Fixtures.temporaryDirectory("tiny1x-2"))
        #expect(one.weightsSHA256 == two.weightsSHA256)
        #expect(one.history == two.history)
        // 12 samples x RepeatDataset 2 in batches of 4: 6 iterations per epoch, 2 epochs, validated with AccMetric's names.
        #expect(one.iterations == 12 && one.epochs == 2)
        #expect(Set(one.metrics.keys) == ["acc/top1", "acc/top5", "acc/mean1"])
        // The cosine schedule per iteration: epoch 1 ends at iteration 6 of T_max 12, epoch 2 at iteration 12.
        #expect(abs(one.history[0].learningRate - 0.1 * (1 + cos(Double.pi * 5 / 12)) / 2) < 1e-12)
        #expect(one.history.allSatisfy { $0.loss.isFinite })
    }

    @Test func killedMidEpochAndResumedGivesTheStraightRunsBits() throws {
        let straightDirectory = Fixtures.temporaryDirectory("tiny1x-straight")
        let straight = try Self.train(threads: 2, directory: straightDirectory)
        let directory = Fixtures.temporaryDirectory("tiny1x-stop")
        let stop = StopRequest()
        do {
            _ = try Self.train(threads: 1, directory: directory, stop: stop, stopAfter: 8)
            Issue.record("the run was asked to stop and finished instead")
        } catch let error as RunnerError {
            #expect(error.code == .stopped, "\(error)")
        }
        let resumed = try Self.train(threads: 2, directory: directory, resume: true)
        #expect(resumed.weightsSHA256 == straight.weightsSHA256)
        #expect(resumed.history == straight.history)
        let bytes = { (url: URL) in try Data(contentsOf: url.appending(path: "epoch_2.pth")) }
        #expect(try bytes(directory) == bytes(straightDirectory))
    }

    @Test func moreThanOneGPUIsAClearError() throws {
        let config = try RecognizerGCNConfig.parse(TinyConfig.oneX(), file: "tiny1x.yml")
        let (train, val) = try Self.data(root: Fixtures.temporaryDirectory("tiny1x-data"))
        let setup = TrainingSetup(config: .mmaction1x(config), configHash: "x", configName: "tiny1x", seed: 0, threads: 1,
                                  workDirectory: Fixtures.temporaryDirectory("tiny1x-gpus"), gpus: 2)
        let error = #expect(throws: RunnerError.self) { try Trainer(setup, train: train, val: val) }
        #expect(error?.message.contains("1.x config on 2 emulated GPUs is not supported") == true)
    }
}
