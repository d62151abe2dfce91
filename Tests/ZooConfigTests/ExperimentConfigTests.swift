import Foundation
import Testing
@testable import ZooConfig

@Suite struct ExperimentConfigTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var name: String, layout: String, classes: Int, persons: Int, batch: Int, steps: [Int], epochs: Int
        var interval: Int, repeatTimes: Int, loss: String, normalize: Bool, padding: Int?
        var testDescription: String { name }
    }

    // Values from stgcn.md section 1.2.
    static let table: [Expected] = [
        .init(name: "stgcn_80e_ntu60_xsub_keypoint", layout: "coco", classes: 60, persons: 2, batch: 16, steps: [10, 50], epochs: 80, interval: 5, repeatTimes: 1, loss: "CrossEntropyLoss", normalize: true, padding: 300),
        .init(name: "stgcn_80e_ntu60_xsub_keypoint_3d", layout: "ntu-rgb+d", classes: 60, persons: 2, batch: 32, steps: [10, 50], epochs: 80, interval: 3, repeatTimes: 1, loss: "CrossEntropyLoss", normalize: false, padding: 300),
        .init(name: "stgcn_80e_babel60", layout: "ntu-rgb+d", classes: 60, persons: 1, batch: 16, steps: [10, 14], epochs: 16, interval: 1, repeatTimes: 5, loss: "CrossEntropyLoss", normalize: false, padding: nil),
        .init(name: "stgcn_80e_babel60_wfl", layout: "ntu-rgb+d", classes: 60, persons: 1, batch: 16, steps: [10, 14], epochs: 16, interval: 1, repeatTimes: 5, loss: "CBFocalLoss", normalize: false, padding: nil),
        .init(name: "stgcn_80e_babel120", layout: "ntu-rgb+d", classes: 120, persons: 1, batch: 16, steps: [10, 14], epochs: 16, interval: 1, repeatTimes: 5, loss: "CrossEntropyLoss", normalize: false, padding: nil),
        .init(name: "stgcn_80e_babel120_wfl", layout: "ntu-rgb+d", classes: 120, persons: 1, batch: 16, steps: [10, 14], epochs: 16, interval: 1, repeatTimes: 5, loss: "CBFocalLoss", normalize: false, padding: nil),
    ]

    static func load(_ name: String) throws -> ExperimentConfig {
        let path = "configs/stgcn/\(name).yml"
        return try ExperimentConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
    }

    @Test func everyEmbedded0xConfigDecodes() throws {
        let paths = ZooSources.embeddedConfigPaths.filter { $0.hasPrefix("configs/stgcn/") || $0.hasPrefix("configs/demo/") }
        #expect(paths.count == 8)
        for path in paths {
            _ = try ExperimentConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
        }
    }

    @Test(arguments: table) func configMatchesTheDesign(_ expected: Expected) throws {
        let config = try Self.load(expected.name)
        #expect(config.model.layout == expected.layout)
        #expect(config.model.strategy == "spatial")
        #expect(config.model.numClasses == expected.classes)
        #expect(config.model.numPerson == expected.persons)
        #expect(config.data.videosPerGPU == expected.batch)
        #expect(config.data.testVideosPerGPU == 1)
        #expect(config.lrSchedule.steps == expected.steps)
        #expect(config.totalEpochs == expected.epochs)
        #expect(config.checkpointInterval == expected.interval)
        #expect(config.evaluation.interval == expected.interval)
        #expect(config.data.train.repeatTimes == expected.repeatTimes)
        #expect(config.model.loss.name == expected.loss)
        #expect(config.optimizer == OptimizerConfig(lr: 0.1, momentum: 0.9, weightDecay: 0.0001, nesterov: true, gradClip: nil))
        #expect(config.testPipeline.contains { if case .poseNormalize = $0 { true } else { false } } == expected.normalize)
        let padding = config.testPipeline.compactMap { if case .paddingWithLoop(let clip, _) = $0 { clip } else { nil } }.first
        #expect(padding == expected.padding)
        #expect(config.data.val.annFile == config.annFileVal)
        #expect(config.data.test.annFile == config.annFileVal)
        if case .cbFocal(_, let beta, let gamma, let counts) = config.model.loss {
            #expect(beta == 0.9999 && gamma == 2.0 && counts.count == expected.classes)
            #expect(counts.prefix(3) == [518, 1993, 6260])
        }
    }

    @Test func learningRateStepsByEpoch() {
        let schedule = StepSchedule(steps: [10, 14], gamma: 0.1)
        #expect(schedule.learningRate(base: 0.1, epoch: 9) == 0.1)
        #expect(abs(schedule.learningRate(base: 0.1, epoch: 10) - 0.01) < 1e-12)
        #expect(abs(schedule.learningRate(base: 0.1, epoch: 15) - 0.001) < 1e-12)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var id: String, edit: @Sendable (String) -> String, line: Int?, key: String, message: String
        var testDescription: String { id }
    }

    static let badCases: [BadCase] = [
        .init(id: "unknown key", edit: { $0.replacingOccurrences(of: "    data_bn: true\n", with: "    data_bn: true\n    databn: true\n") },
              line: 11, key: "model.backbone.databn", message: "unknown key"),
        .init(id: "missing key", edit: { $0.replacingOccurrences(of: "total_epochs: 80\n", with: "") },
              line: 4, key: "", message: "missing key 'total_epochs'"),
        .init(id: "wrong type", edit: { $0.replacingOccurrences(of: "num_classes: 60", with: "num_classes: sixty") },
              line: 22, key: "model.cls_head.num_classes", message: "expected an integer, found 'sixty'"),
        .init(id: "unknown layout", edit: { $0.replacingOccurrences(of: "layout: coco", with: "layout: kinetics") },
              line: 16, key: "model.backbone.graph_cfg.layout", message: "unknown layout 'kinetics'"),
        // Bounds (ConfigLimits): a clip length that would allocate 2^62 frames per sample used to parse.
        .init(id: "clip length past the limit", edit: { $0.replacingOccurrences(of: "clip_len: 300", with: "clip_len: 4611686018427387904") },
              line: 36, key: "train_pipeline[0].clip_len", message: "expected a positive integer up to 100000, found 4611686018427387904"),
        // Nested RepeatDatasets multiplied their times unchecked: 2^40 * 2^40 overflowed Int and trapped.
        .init(id: "nested repeats overflow",
              edit: { $0.replacingOccurrences(of: "  train: {type: PoseDataset, ann_file: data/posec3d/ntu60_xsub_train.pkl, data_prefix: '', pipeline: *pipeline}",
                                              with: "  train: {type: RepeatDataset, times: 1001, dataset: {type: RepeatDataset, times: 1000, dataset: {type: PoseDataset, ann_file: data/posec3d/ntu60_xsub_train.pkl, data_prefix: '', pipeline: *pipeline}}}") },
              line: 49, key: "data.train.times", message: "nested RepeatDataset repeats more than 1000000 times in all"),
        // max_value == min_value made PoseNormalize divide by zero: infinities in the model input.
        .init(id: "PoseNormalize with an empty range", edit: { $0.replacingOccurrences(of: "max_value: [1920.0, 1080.0, 1.0]", with: "max_value: [1920.0, 1080.0, 0.0]") },
              line: 39, key: "train_pipeline[3].max_value", message: "expected max_value - min_value >= 0.001 and values within ±1000000.0"),
    ]

    @Test(arguments: badCases) func badConfigNamesFileLineAndKey(_ bad: BadCase) throws {
        let text = bad.edit(try #require(ZooSources.embeddedText("configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml")))
        do {
            _ = try ExperimentConfig.parse(text, file: "x.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "x.yml")
            #expect(error.line == bad.line)
            #expect(error.key == bad.key)
            #expect(error.message.hasPrefix(bad.message))
        }
    }
}
