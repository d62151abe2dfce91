import Foundation
import Testing
import ZooTestSupport
@testable import ZooConfig

/// Logs written here in the formats MMAction2 writes (shortened: a few logged iterations per epoch), with the numbers
/// of a 2-GPU x 16 run over NTU-60 X-Sub's 40 091 training clips (1253 iterations per epoch per rank).
@Suite struct TrainingLogTests {
    static let textLog = """
    2022-01-10 12:00:00,001 - mmaction - INFO - Environment info:
    ------------------------------------------------------------
    sys.platform: linux
    Python: 3.8.12 (default, Oct 12 2021, 13:49:34) [GCC 7.5.0]
    CUDA available: True
    GPU 0,1: Tesla V100-SXM2-32GB
    PyTorch: 1.9.0
    MMCV: 1.4.0
    MMAction2: 0.21.0+7f3490d
    ------------------------------------------------------------

    2022-01-10 12:00:00,002 - mmaction - INFO - Distributed training: True
    2022-01-10 12:00:01,003 - mmaction - INFO - Config: model = dict(
        type='SkeletonGCN',
        backbone=dict(type='STGCN', in_channels=3))
    dataset_type = 'PoseDataset'
    data = dict(
        videos_per_gpu=16,
        workers_per_gpu=2,
        test_dataloader=dict(videos_per_gpu=1),
        train=dict(type='PoseDataset', ann_file='data/posec3d/ntu60_xsub_train.pkl'))
    optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001, nesterov=True)
    lr_config = dict(policy='step', step=[10, 50])
    total_epochs = 80

    2022-01-10 12:00:01,004 - mmaction - INFO - Set random seed to 0, deterministic: False
    2022-01-10 12:00:20,005 - mmaction - INFO - Epoch [1][20/1253]\tlr: 1.000e-01, eta: 1 day, 2:00:00, time: 0.930, data_time: 0.200, memory: 2126, top1_acc: 0.0312, top5_acc: 0.1250, loss_cls: 4.0512, loss: 4.0512, grad_norm: 2.1034
    2022-01-10 12:00:40,006 - mmaction - INFO - Epoch [1][40/1253]\tlr: 1.000e-01, eta: 1 day, 1:59:00, time: 0.650, data_time: 0.001, memory: 2126, top1_acc: 0.0625, top5_acc: 0.2188, loss_cls: 3.9001, loss: 3.9001, grad_norm: 2.0111
    2022-01-10 13:00:00,007 - mmaction - INFO - Epoch [11][20/1253]\tlr: 1.000e-02, eta: 20:00:00, time: 0.650, data_time: 0.001, memory: 2126, top1_acc: 0.7500, top5_acc: 0.9688, loss_cls: 0.8012, loss: 0.8012, grad_norm: 1.5012
    2022-01-10 13:10:00,008 - mmaction - INFO - Saving checkpoint at 11 epochs
    2022-01-10 13:11:00,009 - mmaction - INFO - Epoch(val) [11][1031]\ttop1_acc: 0.8102, top5_acc: 0.9712, mean_class_accuracy: 0.8090
    """

    static let jsonLog = """
    {"env_info": "sys.platform: linux\\nPython: 3.8.12\\nCUDA available: True\\nGPU 0,1: Tesla V100-SXM2-32GB\\nPyTorch: 1.9.0\\nMMAction2: 0.21.0+7f3490d", "seed": 0, "config_name": "stgcn_80e_ntu60_xsub_keypoint.py", "work_dir": "stgcn_80e_ntu60_xsub_keypoint", "hook_msgs": {}}
    {"mode": "train", "epoch": 1, "iter": 20, "lr": 0.1, "memory": 2126, "data_time": 0.2, "top1_acc": 0.03125, "top5_acc": 0.125, "loss_cls": 4.0512, "loss": 4.0512, "grad_norm": 2.1034, "time": 0.93}
    {"mode": "train", "epoch": 1, "iter": 40, "lr": 0.1, "memory": 2126, "data_time": 0.001, "top1_acc": 0.0625, "top5_acc": 0.21875, "loss_cls": 3.9001, "loss": 3.9001, "grad_norm": NaN, "time": 0.65}
    {"mode": "train", "epoch": 1, "iter": 1240, "lr": 0.1, "memory": 2126, "data_time": 0.001, "top1_acc": 0.5, "top5_acc": 0.875, "loss_cls": 1.7, "loss": 1.7, "grad_norm": 1.9, "time": 0.65}
    {"mode": "val", "epoch": 1, "iter": 1031, "lr": 0.1, "top1_acc": 0.4102, "top5_acc": 0.7712, "mean_class_accuracy": 0.409}
    {"mode": "train", "epoch": 11, "iter": 20, "lr": 0.01, "memory": 2126, "data_time": 0.001, "top1_acc": 0.75, "top5_acc": 0.96875, "loss_cls": 0.8012, "loss": 0.8012, "grad_norm": 1.5, "time": 0.65}
    """

    static let scalarsLog = """
    {"lr": 0.1, "data_time": 0.2, "grad_norm": 2.1, "loss": 4.05, "top1": 0.03, "top5": 0.12, "loss_cls": 4.05, "time": 0.93, "epoch": 1, "iter": 100, "memory": 2126, "step": 100}
    {"lr": 0.1, "data_time": 0.001, "grad_norm": 2.0, "loss": 3.9, "top1": 0.06, "top5": 0.21, "loss_cls": 3.9, "time": 0.65, "epoch": 2, "iter": 1353, "memory": 2126, "step": 1353}
    {"acc/top1": 0.41, "acc/top5": 0.77, "acc/mean1": 0.40, "data_time": 0.01, "time": 0.05, "step": 2}
    {"lr": 0.01, "data_time": 0.001, "grad_norm": 1.5, "loss": 0.8, "top1": 0.75, "top5": 0.97, "loss_cls": 0.8, "time": 0.65, "epoch": 3, "iter": 2606, "memory": 2126, "step": 2606}
    """

    @Test func textLogStatesTheLayoutAndFixesTheGPUCount() throws {
        let facts = try TrainingLogFacts.parse(Self.textLog, file: "stgcn.log")
        #expect(facts.format == .mmaction0xText)
        #expect(facts.visibleGPUs == ["GPU 0,1: Tesla V100-SXM2-32GB"])
        #expect(facts.visibleGPUCount == 2)
        #expect(facts.distributed == true)
        #expect(facts.perGPUBatch == 16)   // data's, not test_dataloader's
        #expect(facts.seed == 0)
        #expect(facts.iterationsPerEpoch == 1253)
        #expect(facts.epochs == 11)
        #expect(facts.learningRates == [.init(epoch: 1, learningRate: 0.1), .init(epoch: 11, learningRate: 0.01)])
        #expect(facts.lastValidationEpoch == 11)
        #expect(facts.lastValidation == ["top1_acc": 0.8102, "top5_acc": 0.9712, "mean_class_accuracy": 0.8090])
        // ceil(ceil(40091 / G) / 16) = 1253 only for G = 2.
        #expect(facts.consistentGPUCounts(trainingSamples: 40091, perGPUBatch: 16) == [2])
    }

    @Test func jsonLogBoundsTheIterationsAndSkipsNaNLines() throws {
        let facts = try TrainingLogFacts.parse(Self.jsonLog, file: "stgcn.json")
        #expect(facts.format == .mmaction0xJSON)
        #expect(facts.visibleGPUCount == 2)
        #expect(facts.seed == 0)
        #expect(facts.distributed == nil)   // the json log does not say
        #expect(facts.perGPUBatch == nil)
        #expect(facts.iterationsPerEpoch == nil)
        #expect(facts.lastLoggedIteration == 1240)
        #expect(facts.logInterval == 20)
        #expect(facts.epochs == 11)
        #expect(facts.learningRates.map(\.epoch) == [1, 11])
        #expect(facts.lastValidation["top1_acc"] == 0.4102)
        // 1240 <= ceil(ceil(40091 / G) / 16) < 1260 only for G = 2 (1253).
        #expect(facts.consistentGPUCounts(trainingSamples: 40091, perGPUBatch: 16) == [2])
    }

    @Test func mmengineScalarsGiveEpochsLearningRatesAndScoresOnly() throws {
        let facts = try TrainingLogFacts.parse(Self.scalarsLog, file: "scalars.json")
        #expect(facts.format == .mmengineScalars)
        #expect(facts.epochs == 3)
        #expect(facts.learningRates == [.init(epoch: 1, learningRate: 0.1), .init(epoch: 3, learningRate: 0.01)])
        #expect(facts.lastValidation == ["acc/top1": 0.41, "acc/top5": 0.77, "acc/mean1": 0.40])
        #expect(facts.visibleGPUs.isEmpty && facts.distributed == nil)
        #expect(facts.consistentGPUCounts(trainingSamples: 40091, perGPUBatch: 16).isEmpty)
    }

    @Test func readsALogFileAndStatesOnlyWhatItSays() throws {
        let folder = Fixtures.temporaryDirectory("training-log")
        let url = folder.appending(path: "stgcn_80e_ntu60_xsub_keypoint.log")
        try Data(Self.textLog.utf8).write(to: url)
        let facts = try TrainingLogFacts.read(url)
        #expect(facts.lines.contains("  GPUs visible to rank 0: GPU 0,1: Tesla V100-SXM2-32GB (the machine's, not necessarily the run's)"))
        #expect(facts.lines.contains("  distributed training: yes (DDP)"))
        #expect(facts.lines.contains("  iterations per epoch: 1253"))
    }

    @Test(arguments: [
        ("", "the training log is empty"),
        ("{\"a\": 1}\n", "a JSON-lines file, but neither an MMAction2 0.x json log (mode/epoch/iter lines) nor a 1.x scalars.json (step lines)"),
        ("hello\nworld\n", "not a training log of MMAction2 0.x (text or json) or 1.x (scalars.json)"),
    ]) func badLogsAreRefusedNamingTheFile(_ text: String, _ message: String) {
        #expect(throws: ConfigError.self) { try TrainingLogFacts.parse(text, file: "x.log") }
        do { _ = try TrainingLogFacts.parse(text, file: "x.log") } catch {
            #expect(error.file == "x.log")
            #expect(error.message == message)
        }
    }

    @Test func aMissingLogIsAnErrorNamingIt() {
        do { _ = try TrainingLogFacts.read(URL(fileURLWithPath: "/nonexistent/stgcn.log")); Issue.record("expected an error") } catch {
            #expect(error.file == "/nonexistent/stgcn.log")
            #expect(error.message.hasPrefix("cannot read the training log"))
        }
    }
}

/// The zoo's `Reference Run: {Data SHA256: {...}}`: the annotation files the reference run read.
@Suite struct ReferenceDataTests {
    @Test func theDemoZooRecordsItsReferenceRunsDataFiles() throws {
        let zoo = try ZooFile.parse(String(contentsOf: Fixtures.repositoryRoot.appending(path: "zoo/demo.yml"), encoding: .utf8), file: "zoo/demo.yml", name: "demo")
        let entry = try #require(zoo.entries.first { $0.name == "demo_stgcn_coco2d_ce" })
        #expect(entry.reference?.dataSHA256?["train"] == "753d8c2c111011ba4209a14473251532399cb74d41b3e646980b5b2d15712f53")
        #expect(entry.reference?.dataSHA256?["val"] == entry.reference?.dataSHA256?["test"])
    }

    @Test(arguments: ["{train: abc}", "{train: 12, extra: 1}", "[a, b]"])
    func aBadDataSHA256IsRefusedNamingTheKey(_ value: String) throws {
        let yaml = """
        Collections: [{Name: T}]
        Models:
          - Name: t
            Config: configs/t.yml
            In Collection: T
            Metadata: {Keypoint: 2d}
            Results: [{Dataset: D, Task: T, Source: reference run, Metrics: {Top 1 Accuracy: "1.00"}}]
            Reference Run: {Seed: 0, Weights SHA256: \(String(repeating: "0", count: 64)), CPU: c, Arithmetic: portable-1, Threads: 1, Data SHA256: \(value)}
        """
        #expect(throws: ConfigError.self) { try ZooFile.parse(yaml, file: "t.yml", name: "t") }
        do { _ = try ZooFile.parse(yaml, file: "t.yml", name: "t") } catch {
            #expect(error.key.contains("Data SHA256"), "\(error)")
        }
    }
}
