import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooPose
import ZooSTGCN
import ZooTensor
import ZooTestSupport
@testable import ZooRunner

/// `--gpus N`: emulated data-parallel training in the runner (sampler layout, bits, resume).
@Suite struct DataParallelTrainingTests {
    static func train(gpus: Int, perGPUBatch: Int? = nil, threads: Int, directory: URL? = nil, resume: Bool = false,
                      validate: Bool = true, withData: Bool = false) throws -> DeterminismTests.Run {
        let text = TinyConfig.text()
        let config = try TinyConfig.config(text)
        let root = Fixtures.temporaryDirectory("tiny-data")
        let (train, val) = try DeterminismTests.data(config, root: root)
        let work = directory ?? Fixtures.temporaryDirectory("tiny-ddp")
        var setup = TrainingSetup(config: config, configHash: Hashing.sha256(Data(text.utf8)), configName: "tiny", seed: 0,
                                  threads: threads, workDirectory: work, resume: resume, validate: validate, gpus: gpus, perGPUBatch: perGPUBatch)
        if withData {
            let resolver = DataResolver(root: root)
            setup.data = try DatasetFingerprint.trainingSplits(config: config, resolver: resolver,
                                                               files: try resolver.annotationFiles(for: config, entryName: nil), train: train, val: val)
        }
        let result = try Trainer(setup, train: train, val: val).run()
        return DeterminismTests.Run(result: result, losses: try DeterminismTests.losses(work), directory: work)
    }

    @Test func samplerPadsTheShuffledListAndDealsItOutByRank() {
        // L = 10 on R = 3: padded to 12 with the list's first two; rank r takes positions r, r+3, r+6, r+9.
        let order = [7, 3, 9, 0, 5, 1, 8, 2, 6, 4]
        let sampler = DistributedSampler(order: order, ranks: 3, batchSize: 2)
        #expect(sampler.samplesPerRank == 4)
        #expect(sampler.iterations == 2)
        #expect(sampler.batch(rank: 0, step: 0) == [7, 0])
        #expect(sampler.batch(rank: 0, step: 1) == [8, 4])
        #expect(sampler.batch(rank: 1, step: 0) == [3, 5])
        #expect(sampler.batch(rank: 1, step: 1) == [2, 7])
        #expect(sampler.batch(rank: 2, step: 1) == [6, 3])
        // One rank: the single-process order, cut into batches (the last one shorter).
        let single = DistributedSampler(order: order, ranks: 1, batchSize: 4)
        #expect(single.iterations == 3)
        #expect((0..<3).flatMap { single.batch(rank: 0, step: $0) } == order)
        #expect(single.batch(rank: 0, step: 2) == [6, 4])
        #expect(DistributedSampler.iterations(epochLength: 96, ranks: 2, batchSize: 8) == 6)
    }

    @Test func oneGPUIsTodaysSingleProcessRunBitForBit() throws {
        let run = try Self.train(gpus: 1, threads: 2)
        #expect(run.result.weightsSHA256 == DeterminismTests.pinnedWeightsSHA256)
        #expect(run.result.gpus == 1 && run.result.perGPUBatch == 8)
        #expect(run.losses.count == 3 * 12 + 3)
    }

    @Test func twoGPUsGiveTheSameBitsWithOneAndTwoThreadsAndDifferFromOne() throws {
        let one = try Self.train(gpus: 2, threads: 1), two = try Self.train(gpus: 2, threads: 2)
        #expect(one.result.weightsSHA256 == two.result.weightsSHA256)
        #expect(one.losses == two.losses)
        #expect(one.result.metrics == two.result.metrics)
        let a = try Data(contentsOf: one.directory.appending(path: "latest.pth")), b = try Data(contentsOf: two.directory.appending(path: "latest.pth"))
        #expect(a == b)
        // 96 samples per epoch over 2 GPUs x 8: 6 steps per epoch, half the single-process 12.
        #expect(one.losses.count == 3 * 6 + 3)
        #expect(one.result.iterations == 18)
        #expect(one.result.weightsSHA256 != DeterminismTests.pinnedWeightsSHA256)
        // The same total batch of 16 on one GPU is another run too: its BN sees 16 samples, not 2 x 8.
        let oneBy16 = try Self.train(gpus: 1, perGPUBatch: 16, threads: 2)
        #expect(oneBy16.result.iterations == 18)
        #expect(oneBy16.result.weightsSHA256 != one.result.weightsSHA256)
    }

    /// Without validation nothing broadcasts rank 0's BN statistics, so GPU 1's differ from GPU 0's in every checkpoint and
    /// the byte-identical latest.pth shows they were carried through the resume.
    @Test func twoGPUsResumedFromLatestGiveTheStraightRunsBits() throws {
        let straight = try Self.train(gpus: 2, threads: 2, validate: false)
        let directory = Fixtures.temporaryDirectory("tiny-ddp-resume")
        _ = try Self.train(gpus: 2, threads: 1, directory: directory, validate: false)
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        let epoch1 = try CheckpointIO.restoreRun(from: directory.appending(path: "epoch_1.pth"), into: &model, optimizer: &optimizer)
        #expect(epoch1.otherRankBuffers.count == 1 && epoch1.otherRankBuffers[0] != model.buffers)
        // Keep what a kill after epoch 1 leaves: latest.pth of epoch 1 (with GPU 1's BN statistics in its meta).
        try FileManager.default.removeItem(at: directory.appending(path: "latest.pth"))
        try FileManager.default.copyItem(at: directory.appending(path: "epoch_1.pth"), to: directory.appending(path: "latest.pth"))
        try FileManager.default.removeItem(at: directory.appending(path: "result.json"))
        let resumed = try Self.train(gpus: 2, threads: 2, directory: directory, resume: true, validate: false)
        #expect(resumed.result.weightsSHA256 == straight.result.weightsSHA256)
        #expect(resumed.losses == straight.losses)
        let a = try Data(contentsOf: resumed.directory.appending(path: "latest.pth")), b = try Data(contentsOf: straight.directory.appending(path: "latest.pth"))
        #expect(a == b)
    }

    @Test func checkpointsKeepTheOtherGPUsStatisticsAndRankZerosInTheStateDict() throws {
        let run = try Self.train(gpus: 2, threads: 2)
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        let restored = try CheckpointIO.restoreRun(from: run.directory.appending(path: "epoch_1.pth"), into: &model, optimizer: &optimizer)
        #expect(restored.gpus == 2 && restored.perGPUBatch == 8)
        #expect(restored.otherRankBuffers.count == 1)
        // Validation ran after epoch 1, so DistEvalHook's broadcast made GPU 1's running statistics rank 0's.
        #expect(restored.otherRankBuffers[0] == model.buffers)
        #expect(CheckpointIO.weightsSHA256(model) == (try Self.hashOfLatest(run.directory, epoch: 1)))
    }

    static func hashOfLatest(_ directory: URL, epoch: Int) throws -> String {
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        _ = try CheckpointIO.restore(from: directory.appending(path: "epoch_\(epoch).pth"), into: &model, optimizer: &optimizer)
        return CheckpointIO.weightsSHA256(model)
    }

    @Test func resumingWithAnotherGPUCountIsRefused() throws {
        let directory = Fixtures.temporaryDirectory("tiny-ddp-count")
        _ = try Self.train(gpus: 2, threads: 2, directory: directory)
        try FileManager.default.removeItem(at: directory.appending(path: "result.json"))
        do {
            _ = try Self.train(gpus: 1, threads: 2, directory: directory, resume: true)
            Issue.record("expected an error")
        } catch let error as RunnerError {
            #expect(error.message.contains("2 GPU(s) x 8") && error.message.contains("1 x 8"))
            #expect(error.hint?.contains("--gpus 2") == true)
        }
    }

    @Test(arguments: [0, -1]) func aGPUCountBelowOneIsRefused(_ gpus: Int) throws {
        let config = try TinyConfig.config()
        let (train, val) = try DeterminismTests.data(config, root: Fixtures.temporaryDirectory("tiny-data"))
        let setup = TrainingSetup(config: config, configHash: "x", configName: "tiny", seed: 0, threads: 1,
                                  workDirectory: Fixtures.temporaryDirectory("tiny-ddp-bad"), gpus: gpus)
        #expect(throws: RunnerError.self) { try Trainer(setup, train: train, val: val) }
    }
}
