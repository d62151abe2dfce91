// A typed MMAction2 0.x ST-GCN config, read from the YAML translation under configs/.
//
// Every field an MMAction2 config sets (or leaves to a default that changes a result) is required;
// an unknown key, a missing key or a wrong type is a ``ConfigError`` naming file, line and key.
import Foundation
import ZooPose

/// One experiment: model, data pipelines, schedule. Mirrors an MMAction2 0.x config file.
public struct ExperimentConfig: Sendable, Equatable {
    public var model: ModelConfig
    public var trainPipeline: [PipelineStep]
    public var valPipeline: [PipelineStep]
    public var testPipeline: [PipelineStep]
    public var annFileTrain: String
    public var annFileVal: String
    public var data: DataConfig
    public var optimizer: OptimizerConfig
    public var lrSchedule: StepSchedule
    public var totalEpochs: Int
    public var checkpointInterval: Int
    public var evaluation: EvaluationConfig
    public var logInterval: Int
    public var workDir: String
    /// The file this config was read from (a path, or `embedded:configs/...`).
    public var source: String
    /// For demo configs: the synthetic data the annotation files are generated from.
    public var synthetic: SyntheticRecipe?
}

/// `model` = SkeletonGCN(backbone=STGCN, cls_head=STGCNHead).
public struct ModelConfig: Sendable, Equatable {
    public var inChannels: Int
    public var edgeImportanceWeighting: Bool
    public var dataBN: Bool
    public var dropout: Double
    /// Output channels of the ten blocks (MMAction2 hard-codes 64x4, 128x3, 256x3).
    public var channels: [Int]
    /// Temporal strides of the ten blocks (MMAction2: 2 in blocks 4 and 7).
    public var strides: [Int]
    public var layout: String
    public var strategy: String
    public var maxHop: Int
    public var dilation: Int
    public var numClasses: Int
    public var headInChannels: Int
    public var numPerson: Int
    public var spatialType: String
    public var initStd: Double
    public var loss: LossConfig
}

public enum LossConfig: Sendable, Equatable {
    case crossEntropy(lossWeight: Double)
    case cbFocal(lossWeight: Double, beta: Double, gamma: Double, samplesPerClass: [Int])

    public var name: String {
        switch self {
        case .crossEntropy: "CrossEntropyLoss"
        case .cbFocal: "CBFocalLoss"
        }
    }
}

public struct DatasetConfig: Sendable, Equatable {
    public var annFile: String
    public var dataPrefix: String
    public var pipeline: [PipelineStep]
    /// `RepeatDataset(times=...)` around the dataset; 1 when not wrapped.
    public var repeatTimes: Int
}

public struct DataConfig: Sendable, Equatable {
    public var videosPerGPU: Int
    public var workersPerGPU: Int
    public var testVideosPerGPU: Int
    public var train: DatasetConfig
    public var val: DatasetConfig
    public var test: DatasetConfig
}

public struct OptimizerConfig: Sendable, Equatable {
    public var lr: Double
    public var momentum: Double
    public var weightDecay: Double
    public var nesterov: Bool
    public var gradClip: Double?
}

/// mmcv `StepLrUpdaterHook` by epoch: lr = base * gamma^(number of steps <= epoch).
public struct StepSchedule: Sendable, Equatable {
    public var steps: [Int]
    public var gamma: Double

    /// Learning rate during 0-based `epoch`.
    public func learningRate(base: Double, epoch: Int) -> Double {
        let passed = steps.filter { epoch >= $0 }.count
        var lr = base
        for _ in 0..<passed { lr *= gamma }
        return lr
    }
}

public struct EvaluationConfig: Sendable, Equatable {
    public var interval: Int
    public var metrics: [String]
    public var topk: [Int]
}

/// Named bounds on the config numbers that size an allocation or a loop (clip length, persons, channels, classes,
/// batch, epochs, repeats, synthetic data). MMAction2's own configs sit far below each; a file past one is refused
/// with a ``ConfigError`` instead of costing unbounded memory or time.
public enum ConfigLimits {
    /// Frames per clip (`clip_len`, synthetic `frames`); MMAction2 uses 300 (0.x) or 100 (1.x).
    public static let maxClipLength = 100_000
    /// A side of 1.x `PreNormalize2D`'s `img_shape`, in pixels.
    public static let maxImageSide = 1_000_000
    /// `num_person` (head and FormatGCNInput) and synthetic `persons`; MMAction2 uses 1 or 2.
    public static let maxPersons = 64
    /// Input and block channels; ST-GCN's widest block has 256.
    public static let maxChannels = 65_536
    public static let maxBlocks = 1000
    public static let maxStride = 1000
    /// `max_hop` and `dilation` of the graph; ST-GCN uses 1.
    public static let maxHop = 100
    public static let maxClasses = 1_000_000
    /// `videos_per_gpu`, train and test.
    public static let maxBatch = 100_000
    public static let maxEpochs = 1_000_000
    /// GPUs of a published run (a 1.x config's `gpus`); MMAction2's zoo uses up to 8.
    public static let maxGPUs = 4096
    /// `num_clips` of UniformSampleFrames (1.x: 10 at test time).
    public static let maxClips = 1000
    /// `RepeatDataset` times, multiplied over nesting.
    public static let maxRepeat = 1_000_000
    /// Synthetic `train` and `val` sample counts.
    public static let maxSamples = 10_000_000
    /// PoseNormalize `mean`, `min_value`, `max_value` (pixels or scores; MMAction2: up to 1920) and their ranges.
    public static let maxNormalizeMagnitude = 1e6
    public static let minNormalizeRange: Float = 1e-3
}

// MARK: - Reading

extension ExperimentConfig {
    public static let knownLayouts = ["coco", "ntu-rgb+d", "openpose-18"]
    public static let knownStrategies = ["spatial", "uniform", "distance"]
    public static let knownMetrics = ["top_k_accuracy", "mean_class_accuracy"]

    /// Reads a config file.
    public static func load(contentsOf url: URL) throws(ConfigError) -> ExperimentConfig {
        try read(YAMLValue.load(contentsOf: url))
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ExperimentConfig {
        try read(YAMLValue.parse(text, file: file))
    }

    static func read(_ root: YAMLValue) throws(ConfigError) -> ExperimentConfig {
        let top = try root.map()
        let model = try readModel(top.value("model"))
        try top.expect("dataset_type", "PoseDataset")
        let train = try readPipeline(top.value("train_pipeline"))
        let val = try readPipeline(top.value("val_pipeline"))
        let test = try readPipeline(top.value("test_pipeline"))
        let annTrain = try top.string("ann_file_train")
        let annVal = try top.string("ann_file_val")
        let data = try readData(top.value("data"))

        let optimizerMap = try top.value("optimizer").map()
        try optimizerMap.expect("type", "SGD")
        // torch.optim.SGD rejects these in its constructor ("Invalid learning rate: -0.1", ...), so a config does too.
        let optimizer = OptimizerConfig(
            lr: try nonNegativeNumber(optimizerMap.value("lr")), momentum: try nonNegativeNumber(optimizerMap.value("momentum")),
            weightDecay: try nonNegativeNumber(optimizerMap.value("weight_decay")), nesterov: try optimizerMap.bool("nesterov"),
            gradClip: nil)
        if optimizer.nesterov && optimizer.momentum == 0 {
            throw try optimizerMap.value("nesterov").error("nesterov: true needs momentum > 0 (as torch.optim.SGD requires)")
        }
        try optimizerMap.finish()
        let optimizerConfig = try top.value("optimizer_config").map()
        try optimizerConfig.expectNull("grad_clip")
        try optimizerConfig.finish()

        let lrMap = try top.value("lr_config").map()
        try lrMap.expect("policy", "step")
        let schedule = StepSchedule(steps: try lrMap.value("step").array { v throws(ConfigError) in try v.int() },
                                    gamma: try lrMap.double("gamma"))
        guard try lrMap.bool("by_epoch") else { throw try lrMap.value("by_epoch").error("only by_epoch: true is supported") }
        try lrMap.finish()

        let epochs = try positive(top.value("total_epochs"), max: ConfigLimits.maxEpochs)
        let checkpointMap = try top.value("checkpoint_config").map()
        let checkpointInterval = try positive(checkpointMap.value("interval"))
        try checkpointMap.finish()
        let evaluationMap = try top.value("evaluation").map()
        let evaluation = EvaluationConfig(
            interval: try positive(evaluationMap.value("interval")),
            metrics: try evaluationMap.value("metrics").array { v throws(ConfigError) in
                let name = try v.string()
                guard knownMetrics.contains(name) else { throw v.error("unknown metric '\(name)' (expected one of: \(knownMetrics.joined(separator: ", ")))") }
                return name
            },
            topk: try evaluationMap.value("topk").array { v throws(ConfigError) in try positive(v) })
        try evaluationMap.finish()
        let logMap = try top.value("log_config").map()
        let logInterval = try positive(logMap.value("interval"))
        try logMap.finish()
        let workDir = try top.string("work_dir")
        try top.expectNull("load_from")
        try top.expectNull("resume_from")
        let synthetic = try top.optional("synthetic").map { value throws(ConfigError) in try readSynthetic(value, model: model) }
        try top.finish()
        return ExperimentConfig(
            model: model, trainPipeline: train, valPipeline: val, testPipeline: test,
            annFileTrain: annTrain, annFileVal: annVal, data: data, optimizer: optimizer,
            lrSchedule: schedule, totalEpochs: epochs, checkpointInterval: checkpointInterval,
            evaluation: evaluation, logInterval: logInterval, workDir: workDir, source: root.file, synthetic: synthetic)
    }

    static func readModel(_ value: YAMLValue) throws(ConfigError) -> ModelConfig {
        let model = try value.map()
        try model.expect("type", "SkeletonGCN")
        let backbone = try model.value("backbone").map()
        try backbone.expect("type", "STGCN")
        let inChannels = try positive(backbone.value("in_channels"), max: ConfigLimits.maxChannels)
        let edgeImportance = try backbone.bool("edge_importance_weighting")
        let dataBN = try backbone.bool("data_bn")
        let dropoutValue = try backbone.value("dropout")
        let dropout = try dropoutValue.double()
        guard (0..<1).contains(dropout) else { throw dropoutValue.error("expected a probability in [0, 1)") }
        let channelsValue = try backbone.value("channels")
        let channels = try channelsValue.array { v throws(ConfigError) in try positive(v, max: ConfigLimits.maxChannels) }
        let stridesValue = try backbone.value("strides")
        let strides = try stridesValue.array { v throws(ConfigError) in try positive(v, max: ConfigLimits.maxStride) }
        guard !channels.isEmpty else { throw channelsValue.error("expected at least one block") }
        guard channels.count <= ConfigLimits.maxBlocks else { throw channelsValue.error("expected at most \(ConfigLimits.maxBlocks) blocks") }
        guard strides.count == channels.count else {
            throw stridesValue.error("expected \(channels.count) strides, one per block in 'channels'")
        }
        let graph = try backbone.value("graph_cfg").map()
        let layoutValue = try graph.value("layout")
        let layout = try layoutValue.string()
        guard knownLayouts.contains(layout) else {
            throw layoutValue.error("unknown layout '\(layout)' (expected one of: \(knownLayouts.joined(separator: ", ")))")
        }
        let strategyValue = try graph.value("strategy")
        let strategy = try strategyValue.string()
        guard knownStrategies.contains(strategy) else {
            throw strategyValue.error("unknown strategy '\(strategy)' (expected one of: \(knownStrategies.joined(separator: ", ")))")
        }
        let maxHop = try positive(graph.value("max_hop"), max: ConfigLimits.maxHop)
        let dilation = try positive(graph.value("dilation"), max: ConfigLimits.maxHop)
        try graph.finish()
        try backbone.finish()

        let head = try model.value("cls_head").map()
        try head.expect("type", "STGCNHead")
        let numClasses = try positive(head.value("num_classes"), max: ConfigLimits.maxClasses)
        let headInValue = try head.value("in_channels")
        let headIn = try positive(headInValue)
        guard headIn == channels.last else {
            throw headInValue.error("expected \(channels.last ?? 0), the last block's channels")
        }
        let numPerson = try positive(head.value("num_person"), max: ConfigLimits.maxPersons)
        try head.expect("spatial_type", "avg")
        let initStd = try head.double("init_std")
        let loss = try readLoss(head.value("loss_cls"), numClasses: numClasses)
        try head.finish()
        try model.expectNull("train_cfg")
        try model.expectNull("test_cfg")
        try model.finish()
        return ModelConfig(
            inChannels: inChannels, edgeImportanceWeighting: edgeImportance, dataBN: dataBN, dropout: dropout,
            channels: channels, strides: strides, layout: layout, strategy: strategy, maxHop: maxHop,
            dilation: dilation, numClasses: numClasses, headInChannels: headIn, numPerson: numPerson,
            spatialType: "avg", initStd: initStd, loss: loss)
    }

    static func readLoss(_ value: YAMLValue, numClasses: Int) throws(ConfigError) -> LossConfig {
        let loss = try value.map()
        let typeValue = try loss.value("type")
        let result: LossConfig
        switch try typeValue.string() {
        case "CrossEntropyLoss":
            result = .crossEntropy(lossWeight: try loss.double("loss_weight"))
        case "CBFocalLoss":
            let countsValue = try loss.value("samples_per_cls")
            let counts = try countsValue.array { v throws(ConfigError) in try positive(v) }
            guard counts.count == numClasses else {
                throw countsValue.error("expected \(numClasses) counts (num_classes), found \(counts.count)")
            }
            result = .cbFocal(lossWeight: try loss.double("loss_weight"), beta: try loss.double("beta"),
                              gamma: try loss.double("gamma"), samplesPerClass: counts)
        default:
            throw typeValue.error("unknown loss (expected CrossEntropyLoss or CBFocalLoss)")
        }
        try loss.finish()
        return result
    }

    /// A pipeline in an order the transforms can run: [PaddingWithLoop] PoseDecode FormatGCNInput [PoseNormalize] ...
    static func readPipeline(_ value: YAMLValue) throws(ConfigError) -> [PipelineStep] {
        let steps = try readSteps(value)
        guard !PipelineStep.isOneX(steps) else {
            throw value.error("a SkeletonGCN (MMAction2 0.x) config needs a 0.x pipeline (PaddingWithLoop, PoseDecode, FormatGCNInput with "
                              + "input_format, ...); the 1.x transforms belong in a RecognizerGCN config")
        }
        return steps
    }

    /// A 0.x or a 1.x pipeline (see `PipelineStep+OneX.swift` for the 1.x order).
    static func readSteps(_ value: YAMLValue) throws(ConfigError) -> [PipelineStep] {
        let steps = try value.array(readStep)
        if steps.contains(where: \.isOneX) { return try checkOneXPipeline(steps, value) }
        func position(_ match: (PipelineStep) -> Bool) -> Int? { steps.firstIndex(where: match) }
        guard let decode = position({ $0 == .poseDecode }) else { throw value.error("the pipeline needs PoseDecode") }
        guard let format = position({ if case .formatGCNInput = $0 { true } else { false } }), format > decode else {
            throw value.error("the pipeline needs FormatGCNInput after PoseDecode")
        }
        if let padding = position({ if case .paddingWithLoop = $0 { true } else { false } }), padding > decode {
            throw value.error("PaddingWithLoop must come before PoseDecode")
        }
        if let normalize = position({ if case .poseNormalize = $0 { true } else { false } }), normalize < format {
            throw value.error("PoseNormalize must come after FormatGCNInput")
        }
        return steps
    }

    static func readStep(_ value: YAMLValue) throws(ConfigError) -> PipelineStep {
        let step = try value.map()
        let typeValue = try step.value("type")
        let result: PipelineStep
        switch try typeValue.string() {
        case "PaddingWithLoop":
            result = .paddingWithLoop(clipLength: try positive(step.value("clip_len"), max: ConfigLimits.maxClipLength),
                                      numClips: try positive(step.value("num_clips")))
            if case .paddingWithLoop(_, let clips) = result, clips != 1 {
                throw try step.value("num_clips").error("only num_clips: 1 is supported (ST-GCN 0.x configs)")
            }
        case "PoseDecode":
            result = .poseDecode
        case "FormatGCNInput" where step.optional("input_format") == nil:
            result = try readFormatGCNClips(step)
        case "FormatGCNInput":
            let format = try step.value("input_format")
            guard try format.string() == "NCTVM" else { throw format.error("expected 'NCTVM'") }
            result = .formatGCNInput(inputFormat: "NCTVM", numPerson: try positive(step.value("num_person"), max: ConfigLimits.maxPersons))
        case "PoseNormalize":
            let read = { (key: String) throws(ConfigError) -> [Double] in
                let v = try step.value(key)
                let numbers = try v.array { e throws(ConfigError) in try e.double() }
                guard numbers.count == 3 else { throw v.error("expected 3 numbers (x, y, score)") }
                return numbers
            }
            let mean = try read("mean"), minValue = try read("min_value"), maxValue = try read("max_value")
            // The pipeline computes (x - mean) / (max - min) in float32: bounded values and a range that is not tiny
            // keep that finite for any coordinate a real skeleton has.
            for k in 0..<3 {
                let range = Float(maxValue[k]) - Float(minValue[k])
                let magnitude = max(abs(mean[k]), abs(minValue[k]), abs(maxValue[k]))
                guard magnitude <= ConfigLimits.maxNormalizeMagnitude, range >= ConfigLimits.minNormalizeRange else {
                    throw try step.value("max_value").error(
                        "expected max_value - min_value >= \(ConfigLimits.minNormalizeRange) and values within ±\(ConfigLimits.maxNormalizeMagnitude)")
                }
            }
            result = .poseNormalize(mean: mean, minValue: minValue, maxValue: maxValue)
        case "Collect":
            result = .collect(keys: try step.value("keys").array { v throws(ConfigError) in try v.string() },
                              metaKeys: try step.value("meta_keys").array { v throws(ConfigError) in try v.string() })
        case "ToTensor":
            result = .toTensor(keys: try step.value("keys").array { v throws(ConfigError) in try v.string() })
        case let name where oneXStepNames.contains(name):
            result = try readOneXStep(name, step)
        default:
            throw typeValue.error("unknown transform (expected PaddingWithLoop, PoseDecode, FormatGCNInput, PoseNormalize, Collect or ToTensor "
                                  + "for 0.x; \(oneXStepNames.joined(separator: ", ")), PoseDecode or FormatGCNInput for 1.x)")
        }
        try step.finish()
        return result
    }

    static func readData(_ value: YAMLValue) throws(ConfigError) -> DataConfig {
        let data = try value.map()
        let perGPU = try positive(data.value("videos_per_gpu"), max: ConfigLimits.maxBatch)
        let workers = try data.int("workers_per_gpu")
        let testLoader = try data.value("test_dataloader").map()
        let testPerGPU = try positive(testLoader.value("videos_per_gpu"), max: ConfigLimits.maxBatch)
        try testLoader.finish()
        let train = try readDataset(data.value("train"))
        let val = try readDataset(data.value("val"))
        let test = try readDataset(data.value("test"))
        try data.finish()
        return DataConfig(videosPerGPU: perGPU, workersPerGPU: workers, testVideosPerGPU: testPerGPU,
                          train: train, val: val, test: test)
    }

    static func readDataset(_ value: YAMLValue) throws(ConfigError) -> DatasetConfig {
        let map = try value.map()
        let typeValue = try map.value("type")
        switch try typeValue.string() {
        case "RepeatDataset":
            let timesValue = try map.value("times")
            let times = try positive(timesValue, max: ConfigLimits.maxRepeat)
            var inner = try readDataset(map.value("dataset"))
            try map.finish()
            // Nested RepeatDatasets multiply; the product is bounded like one.
            let (product, overflow) = inner.repeatTimes.multipliedReportingOverflow(by: times)
            guard !overflow, product <= ConfigLimits.maxRepeat else {
                throw timesValue.error("nested RepeatDataset repeats more than \(ConfigLimits.maxRepeat) times in all")
            }
            inner.repeatTimes = product
            return inner
        case "PoseDataset":
            let result = DatasetConfig(annFile: try map.string("ann_file"), dataPrefix: try map.value("data_prefix").string(),
                                       pipeline: try readPipeline(map.value("pipeline")), repeatTimes: 1)
            try map.finish()
            return result
        default:
            throw typeValue.error("unknown dataset type (expected PoseDataset or RepeatDataset)")
        }
    }

    static func readSynthetic(_ value: YAMLValue, model: ModelConfig) throws(ConfigError) -> SyntheticRecipe {
        let map = try value.map()
        let layoutValue = try map.value("layout")
        let layout = try layoutValue.string()
        guard layout == model.layout else { throw layoutValue.error("expected the model's layout '\(model.layout)'") }
        let classesValue = try map.value("classes")
        let classes = try positive(classesValue)
        guard classes == model.numClasses else { throw classesValue.error("expected num_classes (\(model.numClasses))") }
        let imbalanceValue = try map.value("imbalance")
        let imbalance = try imbalanceValue.double()
        guard imbalance >= 1 else { throw imbalanceValue.error("expected a ratio >= 1") }
        let recipe = SyntheticRecipe(layout: layout, classes: classes, trainCount: try positive(map.value("train"), max: ConfigLimits.maxSamples),
                                     valCount: try positive(map.value("val"), max: ConfigLimits.maxSamples),
                                     frames: try positive(map.value("frames"), max: ConfigLimits.maxClipLength),
                                     persons: try positive(map.value("persons"), max: ConfigLimits.maxPersons), seed: UInt64(try nonNegative(map.value("seed"))), imbalance: imbalance)
        if let problem = recipe.limitViolation { throw value.error(problem) }
        try map.finish()
        return recipe
    }

    static func nonNegativeNumber(_ value: YAMLValue) throws(ConfigError) -> Double {
        let number = try value.double()
        guard number >= 0 else { throw value.error("expected a number >= 0, found \(number)") }
        return number
    }

    static func nonNegative(_ value: YAMLValue) throws(ConfigError) -> Int {
        let number = try value.int()
        guard number >= 0 else { throw value.error("expected an integer >= 0, found \(number)") }
        return number
    }

    static func positive(_ value: YAMLValue) throws(ConfigError) -> Int {
        let number = try value.int()
        guard number > 0 else { throw value.error("expected a positive integer, found \(number)") }
        return number
    }

    /// A positive integer that sizes an allocation or a loop, at most `max` (a ``ConfigLimits`` constant).
    static func positive(_ value: YAMLValue, max: Int) throws(ConfigError) -> Int {
        let number = try positive(value)
        guard number <= max else { throw value.error("expected a positive integer up to \(max), found \(number)") }
        return number
    }
}
