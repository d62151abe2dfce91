import Foundation
import Testing
@testable import ZooConfig
import ZooPose

/// The YAML translations of the MMAction2 1.2.0 skeleton configs (configs/stgcn1x, stgcnpp, 2s-agcn).
@Suite struct RecognizerGCNConfigTests {
    static let folders = ["stgcn1x": "stgcn", "stgcnpp": "stgcnpp", "2s-agcn": "2s-agcn"]

    static var paths: [String] {
        ZooSources.embeddedConfigPaths.filter { path in folders.keys.contains { path.hasPrefix("configs/\($0)/") } }
    }

    static func load(_ path: String) throws -> RecognizerGCNConfig {
        try RecognizerGCNConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
    }

    @Test func thereIsOneConfigPerEntryAndEachIsA1xConfig() throws {
        #expect(Self.paths.count == 32)
        for path in Self.paths {
            let text = try #require(ZooSources.embeddedText(path))
            #expect(try ConfigKind.of(text, file: path) == .mmaction1x)
        }
        for path in ZooSources.embeddedConfigPaths where !Self.paths.contains(path) {
            #expect(try ConfigKind.of(try #require(ZooSources.embeddedText(path)), file: path) == .mmaction0x)
        }
    }

    /// What every 1.x skeleton config shares: the recipe of `_base_` and the joint config of its family.
    @Test(arguments: paths) func everyConfigSpellsOutTheSharedRecipe(_ path: String) throws {
        let config = try Self.load(path)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let is3D = name.hasSuffix("3d")
        let dataset = name.contains("ntu120") ? "ntu120" : "ntu60"
        let annFile = "data/skeleton/\(dataset)_\(is3D ? "3d" : "2d").pkl"
        #expect(config.annFile == annFile)
        #expect(config.train == DataloaderConfig(batchSize: 16, numWorkers: 2, shuffle: true, annFile: annFile, split: "xsub_train", testMode: false, repeatTimes: 5))
        #expect(config.val == DataloaderConfig(batchSize: 16, numWorkers: 2, shuffle: false, annFile: annFile, split: "xsub_val", testMode: true, repeatTimes: 1))
        #expect(config.test == DataloaderConfig(batchSize: 1, numWorkers: 2, shuffle: false, annFile: annFile, split: "xsub_val", testMode: true, repeatTimes: 1))
        let transforms = [is3D ? "PreNormalize3D" : "PreNormalize2D", "GenSkeFeat", "UniformSampleFrames", "PoseDecode", "FormatGCNInput", "PackActionInputs"]
        // Every transform with its parameters: the stream from the name, MMAction2's defaults spelled out.
        let feature: SkeletonFeature = name.contains("bone-motion") ? .boneMotion : name.contains("joint-motion") ? .jointMotion
            : name.contains("bone") ? .bone : .joint
        func steps(clips: Int, test: Bool) -> [PipelineStep] {
            [is3D ? .preNormalize3D(zAxis: [0, 1], xAxis: [8, 4], alignSpine: true, alignShoulder: true, alignCenter: true)
                  : .preNormalize2D(imageShape: [1080, 1920]),
             .genSkeFeat(dataset: is3D ? .nturgbd : .coco, feats: [feature]),
             .uniformSampleFrames(clipLength: 100, numClips: clips, testMode: test, seed: 255), .poseDecode,
             .formatGCNClips(numPerson: 2, mode: .zero), .packActionInputs]
        }
        #expect(config.trainPipeline == PipelineOutline(steps: steps(clips: 1, test: false), transforms: transforms, clipLength: 100, numClips: 1))
        #expect(config.valPipeline == PipelineOutline(steps: steps(clips: 1, test: true), transforms: transforms, clipLength: 100, numClips: 1))
        #expect(config.testPipeline == PipelineOutline(steps: steps(clips: 10, test: true), transforms: transforms, clipLength: 100, numClips: 10))
        #expect(config.head == GCNHeadConfig(numClasses: dataset == "ntu120" ? 120 : 60, inChannels: 256, dropout: 0, averageClips: "prob",
                                             initStd: 0.01, loss: .crossEntropy(lossWeight: 1)))
        #expect(config.evaluator == AccMetricConfig(metrics: ["top_k_accuracy", "mean_class_accuracy"], topk: [1, 5]))
        #expect(config.maxEpochs == 16 && config.valBegin == 1 && config.valInterval == 1)
        #expect(config.schedulers == [.cosineAnnealing(etaMin: 0, tMax: 16, byEpoch: true, convertToIterBased: true)])
        #expect(config.optimizer == OptimizerConfig(lr: 0.1, momentum: 0.9, weightDecay: 0.0005, nesterov: true, gradClip: nil))
        #expect(config.autoScaleLR == AutoScaleLRConfig(enable: false, baseBatchSize: 128))
        #expect(config.gpus == 8 && config.totalBatch == 128)
        #expect(config.checkpointInterval == 1 && config.logInterval == 100)
        #expect(config.workDir == "./work_dirs/\(name)/")
        let backbone = config.backbone
        #expect(backbone.layout == (is3D ? "nturgb+d" : "coco"))
        #expect(backbone.inChannels == 3 && backbone.baseChannels == 64 && backbone.numPerson == 2 && backbone.numStages == 10)
        #expect(backbone.inflateStages == [5, 8] && backbone.downStages == [5, 8])
        #expect(backbone.stageChannels == [64, 64, 64, 64, 128, 128, 128, 256, 256, 256])
        #expect(backbone.stageStrides == [1, 1, 1, 1, 2, 1, 1, 2, 1, 1])
        #expect(backbone.temporalDropout == 0)
    }

    @Test(arguments: paths) func eachFamilyHasItsBackbone(_ path: String) throws {
        let backbone = try Self.load(path).backbone
        switch path.split(separator: "/")[1] {
        case "stgcn1x":
            #expect(backbone.graphMode == "stgcn_spatial" && backbone.dataBNType == "VC")
            #expect(backbone.architecture == .stgcn(adaptive: .importance, convPosition: "pre", withResidual: false, temporal: .unit, channelRatio: 2))
        case "stgcnpp":
            #expect(backbone.graphMode == "spatial" && backbone.dataBNType == "VC")
            let branches: [GCNBackboneConfig.MultiScaleBranch] = [.convolution(kernel: 3, dilation: 1), .convolution(kernel: 3, dilation: 2),
                                                                  .convolution(kernel: 3, dilation: 3), .convolution(kernel: 3, dilation: 4),
                                                                  .maxPool(kernel: 3), .pointwise]
            #expect(backbone.architecture == .stgcn(adaptive: .initial, convPosition: "pre", withResidual: true,
                                                    temporal: .multiScale(branches: branches, midChannels: nil), channelRatio: 2))
        default:
            #expect(backbone.graphMode == "spatial" && backbone.dataBNType == "MVC")
            #expect(backbone.architecture == .aagcn(adaptive: true, coffEmbedding: 4, attention: false))
        }
    }

    // MARK: - Bad input

    static let jointConfig = "configs/stgcn1x/stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d.yml"

    struct Edit: Sendable, CustomTestStringConvertible {
        var id: String, find: String, replace: String, key: String, message: String
        var testDescription: String { id }
    }

    static let edits: [Edit] = [
        .init(id: "unknown layout", find: "layout: coco,", replace: "layout: ntu-rgb+d,", key: "model.backbone.graph_cfg.layout",
              message: "unknown layout 'ntu-rgb+d' (expected one of: coco, nturgb+d)"),
        .init(id: "unknown adaptive", find: "gcn_adaptive: importance", replace: "gcn_adaptive: learned", key: "model.backbone.gcn_adaptive",
              message: "unknown gcn_adaptive 'learned' (expected one of: importance, offset, init)"),
        .init(id: "head channels", find: "in_channels: 256", replace: "in_channels: 128", key: "model.cls_head.in_channels",
              message: "expected 256, the last stage's channels"),
        .init(id: "stage out of range", find: "inflate_stages: [5, 8]", replace: "inflate_stages: [5, 11]", key: "model.backbone.inflate_stages[1]",
              message: "expected a stage in 1...10, found 11"),
        .init(id: "no gpus", find: "gpus: 8\n", replace: "", key: "", message: "missing key 'gpus'"),
        .init(id: "unknown transform", find: "{type: PoseDecode}", replace: "{type: PoseDecoder}", key: "train_pipeline[3].type",
              message: "unknown transform 'PoseDecoder' (expected one of: PreNormalize2D, PreNormalize3D, GenSkeFeat, UniformSampleFrames, PoseDecode, FormatGCNInput, PackActionInputs)"),
        .init(id: "other scheduler", find: "type: CosineAnnealingLR", replace: "type: MultiStepLR", key: "param_scheduler[0].type",
              message: "expected 'CosineAnnealingLR', found 'MultiStepLR'"),
        .init(id: "typo key", find: "num_workers: 2\n  sampler: {type: DefaultSampler, shuffle: true}",
              replace: "num_worker: 2\n  sampler: {type: DefaultSampler, shuffle: true}", key: "train_dataloader", message: "missing key 'num_workers'"),
        .init(id: "train dataset pipeline", find: "test_mode: false, pipeline: *train_pipeline}", replace: "test_mode: false, pipeline: *val_pipeline}",
              key: "train_dataloader.dataset.dataset.pipeline", message: "expected the same transforms as train_pipeline (SkelZoo runs the top-level pipelines)"),
    ]

    @Test(arguments: edits) func badValuesNameTheKeyAndWhatIsExpected(_ edit: Edit) throws {
        let text = try #require(ZooSources.embeddedText(Self.jointConfig))
        #expect(text.contains(edit.find))
        let broken = text.replacingOccurrences(of: edit.find, with: edit.replace)
        do {
            _ = try RecognizerGCNConfig.parse(broken, file: "c.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "c.yml")
            #expect(error.key == edit.key)
            #expect(error.message == edit.message)
        }
    }

    @Test func the0xReaderSaysA1xConfigIsNotItsKind() throws {
        let sources = try ZooSources.load(overrides: [])
        let entry = try #require(try sources.parse().flatMap(\.entries).first { $0.name == "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d" })
        do {
            _ = try sources.config(for: entry)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("MMAction2 1.x entry"))
        }
    }
}
