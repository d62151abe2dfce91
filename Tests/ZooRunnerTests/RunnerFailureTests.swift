import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooPose
import ZooSTGCN
import ZooTestSupport
import ZooTorch
@testable import ZooRunner

/// Issue 11, section 3: the runner under bad input and faults gives clear errors and loses nothing.
@Suite struct RunnerFailureTests {
    static func tiny(epochs: Int = 1, lr: Double = 0.03) throws -> (ExperimentConfig, [PoseSample], [PoseSample]) {
        let config = try TinyConfig.config(TinyConfig.text(train: 16, val: 8, epochs: epochs, lr: lr))
        let (train, val) = try DeterminismTests.data(config, root: Fixtures.temporaryDirectory("fail-data"))
        return (config, train, val)
    }

    static func setup(_ config: ExperimentConfig, work: URL, loadFrom: URL? = nil, startFresh: Bool = false) -> TrainingSetup {
        TrainingSetup(config: config, configHash: "x", configName: "tiny", seed: 0, threads: 1, workDirectory: work, loadFrom: loadFrom,
                      startFresh: startFresh, trainSource: "/data/train.pkl", valSource: "/data/val.pkl")
    }

    /// A path below a regular file: no process, root included, can create a folder there.
    static func pathBelowAFile() throws -> (file: URL, below: URL) {
        let file = Fixtures.temporaryDirectory("file-in-the-way").appending(path: "a-file")
        try Data("x".utf8).write(to: file)
        return (file, file.appending(path: "work"))
    }

    // Scenario 1: a label >= num_classes trapped in Loss.forward.
    @Test func aLabelAtOrAboveNumClassesIsAnErrorNamingTheFileAndSample() throws {
        var (config, train, val) = try Self.tiny()
        train[5].label = config.model.numClasses
        do {
            _ = try Trainer(Self.setup(config, work: Fixtures.temporaryDirectory("label")), train: train, val: val)
            Issue.record("the bad label was accepted")
        } catch let error as RunnerError {
            #expect(error.message.hasPrefix("/data/train.pkl: sample 5 ('\(train[5].frameDirectory)') has label 4, the model has 4 classes"))
        }
        train[5].label = 0
        val[2].label = 9
        #expect(throws: RunnerError.self) { try Trainer(Self.setup(config, work: Fixtures.temporaryDirectory("label")), train: train, val: val) }
    }

    // Scenario 11: `test` on an empty annotation list printed 0% and recorded a succeeded run.
    @Test func evaluatingNoSamplesIsAnError() throws {
        let (config, _, _) = try Self.tiny()
        var model = STGCN(STGCNConfiguration(config.model))
        do {
            _ = try Evaluator.evaluate(&model, samples: [], pipeline: PosePipeline(config.testPipeline), metrics: ["top_k_accuracy"],
                                       topk: [1], batchSize: 4, threads: 1, source: "/data/empty.pkl")
            Issue.record("an empty evaluation succeeded")
        } catch let error as RunnerError {
            #expect(error.message == "/data/empty.pkl holds no samples; there is nothing to evaluate")
        }
    }

    // Scenario 13: lr 1e30 diverges in epoch 1, and the hint pointed at a latest.pth that did not exist.
    @Test func aRunThatDivergesBeforeItsFirstCheckpointDoesNotPromiseOne() throws {
        let (config, train, val) = try Self.tiny(lr: 1e30)
        let work = Fixtures.temporaryDirectory("diverge")
        do {
            _ = try Trainer(Self.setup(config, work: work), train: train, val: val).run()
            Issue.record("the run did not stop")
        } catch let error as RunnerError {
            #expect(error.hint?.contains("no checkpoint was written") == true, "\(error.hint ?? "")")
            #expect(error.hint?.contains("latest.pth holds") == false)
            #expect(!FileManager.default.fileExists(atPath: work.appending(path: "latest.pth").path))
        }
    }

    // Scenarios 2 and 3: two runs into one work dir mixed or deleted each other's files.
    @Test func aWorkDirInUseIsAClearErrorAndIsNotCleared() throws {
        let (config, train, val) = try Self.tiny()
        let work = Fixtures.temporaryDirectory("locked")
        let other = work.appending(path: "notes-of-the-other-run.txt")
        try Data("the other run's checkpoint".utf8).write(to: other)
        let held = try WorkDirectory(work)
        for fresh in [false, true] {
            do {
                _ = try Trainer(Self.setup(config, work: work, startFresh: fresh), train: train, val: val).run()
                Issue.record("a second run got the work dir (startFresh: \(fresh))")
            } catch let error as RunnerError {
                #expect(error.message == "work dir \(work.path) is in use by another skelzoo process (pid \(getpid()))")
            }
        }
        #expect(try Data(contentsOf: other) == Data("the other run's checkpoint".utf8))
        #expect(throws: RunnerError.self) { try WorkDirectory.checkAvailable(work) }
        held.release()
        try WorkDirectory.checkAvailable(work)
        try WorkDirectory.checkAvailable(work.appending(path: "not-yet-created"))
        // Once free, a fresh start clears the old files and runs.
        _ = try Trainer(Self.setup(config, work: work, startFresh: true), train: train, val: val).run()
        #expect(!FileManager.default.fileExists(atPath: other.path))
        #expect(FileManager.default.fileExists(atPath: work.appending(path: "result.json").path))
    }

    // Scenario 16: a work dir that cannot be created, or is a file, printed a raw NSError.
    @Test func aWorkDirThatCannotBeCreatedSaysWhy() throws {
        let (config, train, val) = try Self.tiny()
        let (file, below) = try Self.pathBelowAFile()
        for (work, expected) in [(below, "cannot create folder \(below.path): \(file.path) is a file, not a folder"),
                                 (file, "\(file.path) is a file, not a folder")] {
            do {
                _ = try Trainer(Self.setup(config, work: work), train: train, val: val).run()
                Issue.record("ran in \(work.path)")
            } catch let error as any DiagnosedError {
                #expect(error.message == expected)
            }
        }
        // The same for any file written atomically (report --out).
        do {
            try AtomicFile.write(Data("x".utf8), to: below.appending(path: "README.md"))
            Issue.record("wrote below a file")
        } catch let error as IOError {
            #expect(error.message.contains("\(file.path) is a file, not a folder"))
        }
    }

    // Scenarios 15 and 16: a folder as --load-from was a raw error, and a failed --load-from left an empty work dir.
    @Test func aBadLoadFromIsAClearErrorAndLeavesNoWorkDir() throws {
        let (config, train, val) = try Self.tiny()
        let parent = Fixtures.temporaryDirectory("load-from")
        let work = parent.appending(path: "work")
        let cases: [(URL, String)] = [(parent, "is a folder, expected a file"), (parent.appending(path: "missing.pth"), "does not exist")]
        for (loadFrom, expected) in cases {
            do {
                _ = try Trainer(Self.setup(config, work: work, loadFrom: loadFrom), train: train, val: val).run()
                Issue.record("loaded from \(loadFrom.path)")
            } catch let error as IOError {
                #expect(error.message == "--load-from checkpoint \(loadFrom.path) \(expected)")
            }
            #expect(!FileManager.default.fileExists(atPath: work.path))
        }
    }

    // Scenario 6: a failure while generating synthetic data must not look like "the data is not there".
    @Test func generatingSyntheticDataIntoAnUnwritablePlaceIsAFailureNotMissingData() throws {
        let config = try TinyConfig.config()
        let (_, below) = try Self.pathBelowAFile()
        do {
            _ = try DataResolver(root: below).annotationFiles(for: config, entryName: nil)
            Issue.record("generated data below a file")
        } catch let error as RunnerError {
            #expect(error.code == .failed)
        } catch is IOError {
            // An I/O failure (the folder cannot be created): not "the data is not there".
        }
        let real = try ExperimentConfig.parse(try #require(ZooSources.embeddedText("configs/stgcn/stgcn_80e_babel60.yml")), file: "babel60.yml")
        do {
            _ = try DataResolver(root: Fixtures.temporaryDirectory("no-data")).annotationFiles(for: real, entryName: "stgcn_80e_babel60")
            Issue.record("found data that is not there")
        } catch let error as RunnerError {
            #expect(error.code == .dataMissing)
        }
    }

    // Issue 11 section 4: optimizer hyperparameters are Python floats of the config's decimals, as torch writes them.
    @Test func checkpointOptimizerHyperparametersAreTheConfigDecimals() throws {
        let (config, _, _) = try Self.tiny()
        let model = STGCN(STGCNConfiguration(config.model))
        let optimizer = SGD(momentum: Float(config.optimizer.momentum), weightDecay: Float(config.optimizer.weightDecay), nesterov: true)
        let bytes = CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: config.optimizer, learningRate: 0.003,
                                        position: TrainingPosition(epoch: 1, iteration: 2, seed: 0, configHash: "x"), configName: "tiny")
        let file = try TorchCheckpoint.load(bytes: bytes)
        let group = try #require(file.root.dictionary?["optimizer"]?.dictionary?["param_groups"]?.items?.first?.dictionary)
        #expect(group["momentum"]?.double == 0.9)
        #expect(group["weight_decay"]?.double == 0.0001)
        #expect(group["initial_lr"]?.double == 0.03)
        #expect(group["lr"]?.double == 0.003)
    }
}
