// A typed MMAction2 1.x skeleton config (RecognizerGCN with an STGCN, ST-GCN++ or AAGCN backbone and a GCNHead), read
// from the YAML translations under configs/stgcn1x, configs/stgcnpp and configs/2s-agcn.
//
// Every value of the Python config that changes a result is a required key here, including the defaults of the
// MMAction2 1.2.0 classes, so nothing is hidden; an unknown key, a missing key or a wrong type is a ``ConfigError``
// naming file, line and key. The 0.x configs stay ``ExperimentConfig``; ``ConfigKind`` tells them apart.
import Foundation
import ZooPose

/// Which MMAction2 release a config file follows, from its `model.type`.
public enum ConfigKind: Sendable, Equatable {
    /// MMAction2 0.x `SkeletonGCN` (``ExperimentConfig``).
    case mmaction0x
    /// MMAction2 1.x `RecognizerGCN` (``RecognizerGCNConfig``).
    case mmaction1x

    /// Reads `model.type` only.
    public static func of(_ text: String, file: String) throws(ConfigError) -> ConfigKind {
        let top = try YAMLValue.parse(text, file: file).map()
        let typeValue = try top.value("model").map().value("type")
        switch try typeValue.string() {
        case "SkeletonGCN": return .mmaction0x
        case "RecognizerGCN": return .mmaction1x
        default: throw typeValue.error("unknown model type (expected SkeletonGCN for MMAction2 0.x or RecognizerGCN for 1.x)")
        }
    }
}

/// One MMAction2 1.x skeleton experiment: model, data, schedule.
public struct RecognizerGCNConfig: Sendable, Equatable {
    public var backbone: GCNBackboneConfig
    public var head: GCNHeadConfig
    /// `ann_file`: one annotation file holding every split.
    public var annFile: String
    public var trainPipeline: PipelineOutline
    public var valPipeline: PipelineOutline
    public var testPipeline: PipelineOutline
    public var train: DataloaderConfig
    public var val: DataloaderConfig
    public var test: DataloaderConfig
    public var evaluator: AccMetricConfig
    public var maxEpochs: Int
    public var valBegin: Int
    public var valInterval: Int
    public var schedulers: [LRSchedulerConfig]
    /// `optim_wrapper.optimizer` (SGD); `clip_grad: null`.
    public var optimizer: OptimizerConfig
    public var checkpointInterval: Int
    public var logInterval: Int
    public var autoScaleLR: AutoScaleLRConfig
    /// GPUs the released checkpoint was trained on (not a key of the Python config: "8xb16" in its name).
    public var gpus: Int
    public var workDir: String
    /// The file this config was read from (a path, or `embedded:configs/...`).
    public var source: String

    /// Samples per optimizer step over all GPUs.
    public var totalBatch: Int { gpus * train.batchSize }
}

/// A 1.x pipeline: its transforms with every parameter (``PipelineStep``), and for the recipe their names in order
/// and `UniformSampleFrames`' clip length and clips.
public struct PipelineOutline: Sendable, Equatable {
    public var steps: [PipelineStep]
    public var transforms: [String]
    public var clipLength: Int
    public var numClips: Int
}

/// `model.backbone`: the stage plan both backbones share, and what differs.
public struct GCNBackboneConfig: Sendable, Equatable {
    /// `STGCN` (ST-GCN 1.x, ST-GCN++) or `AAGCN` (2s-AGCN).
    public enum Architecture: Sendable, Equatable {
        /// `unit_gcn(adaptive, conv_pos, with_res)` and `unit_tcn` or `mstcn`; `ch_ratio` inflates channels.
        case stgcn(adaptive: GCNAdaptive, convPosition: String, withResidual: Bool, temporal: TemporalUnit, channelRatio: Int)
        /// `unit_aagcn(coff_embedding, adaptive, attention)` and `unit_tcn`.
        case aagcn(adaptive: Bool, coffEmbedding: Int, attention: Bool)
    }

    /// `unit_gcn(adaptive=...)`: how the adjacency is learned.
    public enum GCNAdaptive: String, Sendable, Equatable, CaseIterable {
        /// A * PA with PA initialised to ones (ST-GCN's edge importance).
        case importance
        /// A + PA with PA near zero.
        case offset
        /// A itself is a parameter (ST-GCN++).
        case initial = "init"
    }

    /// `tcn_type` with its options.
    public enum TemporalUnit: Sendable, Equatable {
        /// `unit_tcn`: a 9x1 convolution and BN.
        case unit
        /// `mstcn`: multi-scale branches (`ms_cfg`) with `mid_channels` (nil: out/branches).
        case multiScale(branches: [MultiScaleBranch], midChannels: Double?)
    }

    /// One `mstcn` branch of `ms_cfg`.
    public enum MultiScaleBranch: Sendable, Equatable {
        /// `(kernel, dilation)`: 1x1 conv, BN, ReLU, then a kernel x 1 convolution with that dilation.
        case convolution(kernel: Int, dilation: Int)
        /// `('max', kernel)`: 1x1 conv, BN, ReLU, then max pooling over `kernel` frames.
        case maxPool(kernel: Int)
        /// `'1x1'`: a strided 1x1 convolution.
        case pointwise
    }

    public var architecture: Architecture
    /// `graph_cfg.layout`: `coco` (17 joints) or `nturgb+d` (25).
    public var layout: String
    /// `graph_cfg.mode`: `stgcn_spatial` (ST-GCN) or `spatial` (ST-GCN++, AAGCN).
    public var graphMode: String
    public var maxHop: Int
    public var inChannels: Int
    public var baseChannels: Int
    /// `data_bn_type`: `VC`, `MVC` or nil (no input BN).
    public var dataBNType: String?
    public var numPerson: Int
    public var numStages: Int
    public var inflateStages: [Int]
    public var downStages: [Int]
    public var temporalDropout: Double

    /// Output channels of each block, as the backbone's constructor computes them (`base * ratio^inflations`).
    public var stageChannels: [Int] {
        let ratio: Int
        switch architecture {
        case .stgcn(_, _, _, _, let channelRatio): ratio = channelRatio
        case .aagcn: ratio = 2
        }
        var channels: [Int] = inChannels != baseChannels ? [baseChannels] : []
        var current = baseChannels
        for stage in 2...max(numStages, 2) where stage <= numStages {
            if inflateStages.contains(stage) { current *= ratio }
            channels.append(current)
        }
        return channels
    }

    /// Temporal stride of each block (2 at `down_stages`).
    public var stageStrides: [Int] {
        (inChannels != baseChannels ? [1] : []) + (2...max(numStages, 2)).filter { $0 <= numStages }.map { downStages.contains($0) ? 2 : 1 }
    }
}

/// `model.cls_head`: `GCNHead`.
public struct GCNHeadConfig: Sendable, Equatable {
    public var numClasses: Int
    public var inChannels: Int
    public var dropout: Double
    /// `average_clips`: `prob` (softmax per clip, then the mean), `score` (mean of logits) or nil.
    public var averageClips: String?
    public var initStd: Double
    public var loss: LossConfig
}

/// A `*_dataloader`: batch, sampler and its `PoseDataset` (possibly inside `RepeatDataset`).
public struct DataloaderConfig: Sendable, Equatable {
    public var batchSize: Int
    public var numWorkers: Int
    public var shuffle: Bool
    public var annFile: String
    /// The annotation file's split, e.g. `xsub_train`.
    public var split: String
    public var testMode: Bool
    /// `RepeatDataset(times=...)`; 1 when not wrapped.
    public var repeatTimes: Int
}

/// `AccMetric(metric_list, metric_options=dict(top_k_accuracy=dict(topk=...)))`.
public struct AccMetricConfig: Sendable, Equatable {
    public var metrics: [String]
    public var topk: [Int]
}

/// One `param_scheduler` entry.
public enum LRSchedulerConfig: Sendable, Equatable {
    /// `CosineAnnealingLR`: lr = eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2, per iteration when
    /// `convert_to_iter_based` (T_max epochs become T_max x iterations per epoch).
    case cosineAnnealing(etaMin: Double, tMax: Int, byEpoch: Bool, convertToIterBased: Bool)
}

/// `auto_scale_lr`: scale lr by total batch / `base_batch_size` when enabled.
public struct AutoScaleLRConfig: Sendable, Equatable {
    public var enable: Bool
    public var baseBatchSize: Int
}

// MARK: - Reading

extension RecognizerGCNConfig {
    public static let knownLayouts = ["coco", "nturgb+d"]
    public static let knownGraphModes = ["stgcn_spatial", "spatial"]
    public static let knownDataBNTypes = ["VC", "MVC"]
    /// The transforms of MMAction2 1.x skeleton pipelines, in the order a pipeline may use them.
    public static let knownTransforms = ["PreNormalize2D", "PreNormalize3D", "GenSkeFeat", "UniformSampleFrames", "PoseDecode",
                                         "FormatGCNInput", "PackActionInputs"]
    public static let knownMetrics = ["top_k_accuracy", "mean_class_accuracy"]

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> RecognizerGCNConfig {
        try read(YAMLValue.parse(text, file: file))
    }

    static func read(_ root: YAMLValue) throws(ConfigError) -> RecognizerGCNConfig {
        let top = try root.map()
        let model = try top.value("model").map()
        try model.expect("type", "RecognizerGCN")
        let backbone = try readBackbone(model.value("backbone"))
        let head = try readHead(model.value("cls_head"), backbone: backbone)
        try model.finish()
        try top.expect("dataset_type", "PoseDataset")
        let annFile = try top.string("ann_file")
        let trainPipeline = try readPipeline(top.value("train_pipeline"))
        let valPipeline = try readPipeline(top.value("val_pipeline"))
        let testPipeline = try readPipeline(top.value("test_pipeline"))
        let train = try readLoader(top.value("train_dataloader"), pipeline: trainPipeline, named: "train_pipeline")
        let val = try readLoader(top.value("val_dataloader"), pipeline: valPipeline, named: "val_pipeline")
        let test = try readLoader(top.value("test_dataloader"), pipeline: testPipeline, named: "test_pipeline")
        let evaluator = try readEvaluator(top.value("val_evaluator"))
        let testEvaluatorValue = try top.value("test_evaluator")
        guard try readEvaluator(testEvaluatorValue) == evaluator else {
            throw testEvaluatorValue.error("test_evaluator must equal val_evaluator (SkelZoo reports one set of metrics)")
        }

        let loop = try top.value("train_cfg").map()
        try loop.expect("type", "EpochBasedTrainLoop")
        let maxEpochs = try ExperimentConfig.positive(loop.value("max_epochs"), max: ConfigLimits.maxEpochs)
        let valBegin = try ExperimentConfig.positive(loop.value("val_begin"))
        let valInterval = try ExperimentConfig.positive(loop.value("val_interval"))
        try loop.finish()
        for (key, type) in [("val_cfg", "ValLoop"), ("test_cfg", "TestLoop")] {
            let map = try top.value(key).map()
            try map.expect("type", type)
            try map.finish()
        }
        let schedulers = try top.value("param_scheduler").array { v throws(ConfigError) in try readScheduler(v) }

        let wrapper = try top.value("optim_wrapper").map()
        let optimizerMap = try wrapper.value("optimizer").map()
        try optimizerMap.expect("type", "SGD")
        let optimizer = OptimizerConfig(
            lr: try ExperimentConfig.nonNegativeNumber(optimizerMap.value("lr")),
            momentum: try ExperimentConfig.nonNegativeNumber(optimizerMap.value("momentum")),
            weightDecay: try ExperimentConfig.nonNegativeNumber(optimizerMap.value("weight_decay")),
            nesterov: try optimizerMap.bool("nesterov"), gradClip: nil)
        if optimizer.nesterov && optimizer.momentum == 0 {
            throw try optimizerMap.value("nesterov").error("nesterov: true needs momentum > 0 (as torch.optim.SGD requires)")
        }
        try optimizerMap.finish()
        try wrapper.expectNull("clip_grad")
        try wrapper.finish()

        let hooks = try top.value("default_hooks").map()
        let checkpointMap = try hooks.value("checkpoint").map()
        let checkpointInterval = try ExperimentConfig.positive(checkpointMap.value("interval"))
        try checkpointMap.finish()
        let loggerMap = try hooks.value("logger").map()
        let logInterval = try ExperimentConfig.positive(loggerMap.value("interval"))
        try loggerMap.finish()
        try hooks.finish()

        let scaleMap = try top.value("auto_scale_lr").map()
        let autoScale = AutoScaleLRConfig(enable: try scaleMap.bool("enable"),
                                          baseBatchSize: try ExperimentConfig.positive(scaleMap.value("base_batch_size"), max: ConfigLimits.maxBatch))
        try scaleMap.finish()
        let gpus = try ExperimentConfig.positive(top.value("gpus"), max: ConfigLimits.maxGPUs)
        let workDir = try top.string("work_dir")
        try top.expectNull("load_from")
        let resumeValue = try top.value("resume")
        guard try resumeValue.bool() == false else { throw resumeValue.error("only resume: false is supported (SkelZoo resumes with its own work dirs)") }
        try top.finish()
        return RecognizerGCNConfig(
            backbone: backbone, head: head, annFile: annFile, trainPipeline: trainPipeline, valPipeline: valPipeline,
            testPipeline: testPipeline, train: train, val: val, test: test, evaluator: evaluator, maxEpochs: maxEpochs,
            valBegin: valBegin, valInterval: valInterval, schedulers: schedulers, optimizer: optimizer,
            checkpointInterval: checkpointInterval, logInterval: logInterval, autoScaleLR: autoScale, gpus: gpus,
            workDir: workDir, source: root.file)
    }

    static func choice(_ value: YAMLValue, _ options: [String], what: String) throws(ConfigError) -> String {
        let text = try value.string()
        guard options.contains(text) else { throw value.error("unknown \(what) '\(text)' (expected one of: \(options.joined(separator: ", ")))") }
        return text
    }

    static func stageList(_ value: YAMLValue, numStages: Int) throws(ConfigError) -> [Int] {
        try value.array { v throws(ConfigError) in
            let stage = try v.int()
            guard (1...numStages).contains(stage) else { throw v.error("expected a stage in 1...\(numStages), found \(stage)") }
            return stage
        }
    }

    static func readBackbone(_ value: YAMLValue) throws(ConfigError) -> GCNBackboneConfig {
        let map = try value.map()
        let typeValue = try map.value("type")
        let type = try choice(typeValue, ["STGCN", "AAGCN"], what: "backbone")
        let graph = try map.value("graph_cfg").map()
        let layout = try choice(graph.value("layout"), knownLayouts, what: "layout")
        let mode = try choice(graph.value("mode"), knownGraphModes, what: "graph mode")
        let maxHop = try ExperimentConfig.positive(graph.value("max_hop"), max: ConfigLimits.maxHop)
        try graph.finish()
        let inChannels = try ExperimentConfig.positive(map.value("in_channels"), max: ConfigLimits.maxChannels)
        let baseChannels = try ExperimentConfig.positive(map.value("base_channels"), max: ConfigLimits.maxChannels)
        let bnValue = try map.value("data_bn_type")
        let dataBN: String? = bnValue.isNull ? nil : try choice(bnValue, knownDataBNTypes, what: "data_bn_type")
        let numPerson = try ExperimentConfig.positive(map.value("num_person"), max: ConfigLimits.maxPersons)
        let numStages = try ExperimentConfig.positive(map.value("num_stages"), max: ConfigLimits.maxBlocks)
        let inflate = try stageList(map.value("inflate_stages"), numStages: numStages)
        let down = try stageList(map.value("down_stages"), numStages: numStages)
        let architecture: GCNBackboneConfig.Architecture
        if type == "STGCN" {
            let adaptiveValue = try map.value("gcn_adaptive")
            let adaptiveText = try choice(adaptiveValue, GCNBackboneConfig.GCNAdaptive.allCases.map(\.rawValue), what: "gcn_adaptive")
            let convPosition = try choice(map.value("gcn_conv_pos"), ["pre", "post"], what: "gcn_conv_pos")
            let ratioValue = try map.value("ch_ratio")
            let ratio = try ExperimentConfig.positive(ratioValue, max: 16)
            let temporal: GCNBackboneConfig.TemporalUnit
            switch try choice(map.value("tcn_type"), ["unit_tcn", "mstcn"], what: "tcn_type") {
            case "mstcn":
                let branches = try map.value("tcn_ms_cfg").array { v throws(ConfigError) in try readBranch(v) }
                guard branches.count >= 2 else { throw try map.value("tcn_ms_cfg").error("expected at least 2 branches") }
                let midValue = try map.value("tcn_mid_channels")
                let mid: Double? = midValue.isNull ? nil : try midValue.double()
                if let mid, !(mid > 0 && mid <= 1) { throw midValue.error("expected null or a fraction in (0, 1]") }
                temporal = .multiScale(branches: branches, midChannels: mid)
            default:
                temporal = .unit
            }
            architecture = .stgcn(adaptive: GCNBackboneConfig.GCNAdaptive(rawValue: adaptiveText) ?? .importance,
                                  convPosition: convPosition, withResidual: try map.bool("gcn_with_res"), temporal: temporal,
                                  channelRatio: ratio)
        } else {
            try map.expect("tcn_type", "unit_tcn")
            architecture = .aagcn(adaptive: try map.bool("gcn_adaptive"),
                                  coffEmbedding: try ExperimentConfig.positive(map.value("gcn_coff_embedding"), max: ConfigLimits.maxChannels),
                                  attention: try map.bool("gcn_attention"))
        }
        let dropoutValue = try map.value("tcn_dropout")
        let dropout = try dropoutValue.double()
        guard (0..<1).contains(dropout) else { throw dropoutValue.error("expected a probability in [0, 1)") }
        try map.finish()
        return GCNBackboneConfig(architecture: architecture, layout: layout, graphMode: mode, maxHop: maxHop, inChannels: inChannels,
                                 baseChannels: baseChannels, dataBNType: dataBN, numPerson: numPerson, numStages: numStages,
                                 inflateStages: inflate, downStages: down, temporalDropout: dropout)
    }

    /// One `ms_cfg` element: `[kernel, dilation]`, `[max, kernel]` or `1x1`.
    static func readBranch(_ value: YAMLValue) throws(ConfigError) -> GCNBackboneConfig.MultiScaleBranch {
        if case .scalar = value.node {
            guard try value.string() == "1x1" else { throw value.error("expected [kernel, dilation], [max, kernel] or 1x1") }
            return .pointwise
        }
        let parts = try value.array()
        guard parts.count == 2 else { throw value.error("expected [kernel, dilation], [max, kernel] or 1x1") }
        if case .scalar(let scalar) = parts[0].node, scalar.string == "max" {
            return .maxPool(kernel: try ExperimentConfig.positive(parts[1], max: ConfigLimits.maxClipLength))
        }
        return .convolution(kernel: try ExperimentConfig.positive(parts[0], max: ConfigLimits.maxClipLength),
                            dilation: try ExperimentConfig.positive(parts[1], max: ConfigLimits.maxClipLength))
    }

    static func readHead(_ value: YAMLValue, backbone: GCNBackboneConfig) throws(ConfigError) -> GCNHeadConfig {
        let map = try value.map()
        try map.expect("type", "GCNHead")
        let numClasses = try ExperimentConfig.positive(map.value("num_classes"), max: ConfigLimits.maxClasses)
        let inValue = try map.value("in_channels")
        let inChannels = try ExperimentConfig.positive(inValue)
        guard inChannels == backbone.stageChannels.last else {
            throw inValue.error("expected \(backbone.stageChannels.last ?? 0), the last stage's channels")
        }
        let dropoutValue = try map.value("dropout")
        let dropout = try dropoutValue.double()
        guard (0..<1).contains(dropout) else { throw dropoutValue.error("expected a probability in [0, 1)") }
        let averageValue = try map.value("average_clips")
        let average: String? = averageValue.isNull ? nil : try choice(averageValue, ["prob", "score"], what: "average_clips")
        let head = GCNHeadConfig(numClasses: numClasses, inChannels: inChannels, dropout: dropout, averageClips: average,
                                 initStd: try map.double("init_std"),
                                 loss: try ExperimentConfig.readLoss(map.value("loss_cls"), numClasses: numClasses))
        try map.finish()
        return head
    }

    /// A pipeline's transforms, in an order the 1.x transforms can run; every parameter is read by
    /// ``ExperimentConfig/readSteps(_:)`` (the 1.x steps), which also checks MMAction2's order.
    static func readPipeline(_ value: YAMLValue) throws(ConfigError) -> PipelineOutline {
        let types = try value.array { v throws(ConfigError) in try choice(v.map().value("type"), knownTransforms, what: "transform") }
        let steps = try ExperimentConfig.readSteps(value)
        guard PipelineStep.isOneX(steps) else { throw value.error("expected a 1.x pipeline (PreNormalize2D/3D, GenSkeFeat, UniformSampleFrames, ...)") }
        var clips: (length: Int, count: Int)?
        for case .uniformSampleFrames(let length, let count, _, _) in steps { clips = (length, count) }
        guard let clips else { throw value.error("the pipeline needs UniformSampleFrames, then PoseDecode, then FormatGCNInput") }
        return PipelineOutline(steps: steps, transforms: types, clipLength: clips.length, numClips: clips.count)
    }

    /// A dataloader whose dataset runs `pipeline` (the top-level `named` one: MMAction2 runs the dataset's pipeline, SkelZoo
    /// the top-level ones, so they must be the same, as the translated configs' YAML anchors make them).
    static func readLoader(_ value: YAMLValue, pipeline: PipelineOutline, named: String) throws(ConfigError) -> DataloaderConfig {
        let map = try value.map()
        let batch = try ExperimentConfig.positive(map.value("batch_size"), max: ConfigLimits.maxBatch)
        let workers = try ExperimentConfig.nonNegative(map.value("num_workers"))
        let sampler = try map.value("sampler").map()
        try sampler.expect("type", "DefaultSampler")
        let shuffle = try sampler.bool("shuffle")
        try sampler.finish()
        var dataset = try map.value("dataset").map()
        var repeatTimes = 1
        if try dataset.value("type").string() == "RepeatDataset" {
            repeatTimes = try ExperimentConfig.positive(dataset.value("times"), max: ConfigLimits.maxRepeat)
            let inner = try dataset.value("dataset").map()
            try dataset.finish()
            dataset = inner
        }
        try dataset.expect("type", "PoseDataset")
        let loader = DataloaderConfig(batchSize: batch, numWorkers: workers, shuffle: shuffle, annFile: try dataset.string("ann_file"),
                                      split: try dataset.string("split"), testMode: try dataset.bool("test_mode"), repeatTimes: repeatTimes)
        let pipelineValue = try dataset.value("pipeline")
        guard try readPipeline(pipelineValue).steps == pipeline.steps else {
            throw pipelineValue.error("expected the same transforms as \(named) (SkelZoo runs the top-level pipelines)")
        }
        try dataset.finish()
        try map.finish()
        return loader
    }

    static func readEvaluator(_ value: YAMLValue) throws(ConfigError) -> AccMetricConfig {
        let list = try value.array()
        guard list.count == 1 else { throw value.error("expected one AccMetric") }
        let map = try list[0].map()
        try map.expect("type", "AccMetric")
        let metrics = try map.value("metric_list").array { v throws(ConfigError) in try choice(v, knownMetrics, what: "metric") }
        let topk = try map.value("topk").array { v throws(ConfigError) in try ExperimentConfig.positive(v) }
        try map.finish()
        return AccMetricConfig(metrics: metrics, topk: topk)
    }

    static func readScheduler(_ value: YAMLValue) throws(ConfigError) -> LRSchedulerConfig {
        let map = try value.map()
        try map.expect("type", "CosineAnnealingLR")
        let etaValue = try map.value("eta_min")
        let etaMin = try ExperimentConfig.nonNegativeNumber(etaValue)
        let scheduler = LRSchedulerConfig.cosineAnnealing(
            etaMin: etaMin, tMax: try ExperimentConfig.positive(map.value("T_max"), max: ConfigLimits.maxEpochs),
            byEpoch: try map.bool("by_epoch"), convertToIterBased: try map.bool("convert_to_iter_based"))
        try map.finish()
        return scheduler
    }
}
