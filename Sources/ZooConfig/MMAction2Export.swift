// The MMAction2 0.24.1 Python config of an ``ExperimentConfig``: what `skelzoo config export` writes, and the `config`
// text a SkelZoo checkpoint's `meta` carries (mmcv's runner parses it with `Config.fromstring(text, '.py')` on resume).
//
// It writes values only, never code: `dict(...)`, lists, tuples, strings, numbers, True/False/None, and names of
// variables assigned above them (`pipeline=train_pipeline`), as MMAction2's own config files do. Every value that
// changes a result is spelled out, so MMAction2's defaults never decide one. It does not translate what MMAction2 0.24.1
// cannot build: `STGCN.__init__` hard-codes its ten blocks, so the `channels`/`strides` keys of SkelZoo's YAML are a
// SkelZoo extension that MMAction2 rejects (`STGCNBlock() got an unexpected keyword argument 'channels'`).
import Foundation
import ZooPose

/// Writes MMAction2 0.24.1 Python configs.
public enum MMAction2Export {
    /// The MMAction2 release whose config format and `STGCN` this writes for.
    public static let mmaction2Version = "0.24.1"
    /// The `model.type` / `backbone.type` / `cls_head.type` this exporter knows; anything else (MMAction2 1.x's
    /// `RecognizerGCN`, AAGCN, ...) is refused by name rather than written wrong.
    public static let supportedModel = (recognizer: "SkeletonGCN", backbone: "STGCN", head: "STGCNHead")
    /// The blocks `STGCN.__init__` builds in MMAction2 0.24.1 (`mmaction/models/backbones/stgcn.py`), which no config
    /// key changes: output channels and temporal strides.
    public static let mmaction2Channels = [64, 64, 64, 64, 128, 128, 128, 256, 256, 256]
    public static let mmaction2Strides = [1, 1, 1, 1, 2, 1, 1, 2, 1, 1]

    /// Why MMAction2 0.24.1 cannot build this config's network, one reason per line; empty when it can.
    public static func inexpressible(_ config: ExperimentConfig) -> [String] {
        var reasons: [String] = []
        if config.model.channels != mmaction2Channels || config.model.strides != mmaction2Strides {
            reasons.append("the backbone's channels \(list(config.model.channels)) and strides \(list(config.model.strides)) are a SkelZoo "
                + "extension: MMAction2 \(mmaction2Version)'s STGCN hard-codes channels \(list(mmaction2Channels)) and strides "
                + "\(list(mmaction2Strides)) and rejects these keys")
        }
        let oneX = Set((config.trainPipeline + config.valPipeline + config.testPipeline).filter(\.isOneX).map(transformName))
        if !oneX.isEmpty {
            reasons.append("its pipelines use MMAction2 1.x transforms (\(oneX.sorted().joined(separator: ", "))) that \(mmaction2Version) does not have")
        }
        return reasons
    }

    /// Checks that a config's YAML text describes a model this exporter knows, before it is parsed as one.
    /// - Throws: ``ConfigError`` naming the `type` it does not know, so a 1.x config is never exported as a 0.x one.
    public static func checkModelType(yaml text: String, file: String) throws(ConfigError) {
        let model = try YAMLValue.parse(text, file: file).map().value("model").map()
        let checks: [(YAMLMap, String, String)] = [
            (model, "type", supportedModel.recognizer),
            (try model.value("backbone").map(), "type", supportedModel.backbone),
            (try model.value("cls_head").map(), "type", supportedModel.head),
        ]
        for (map, key, expected) in checks {
            let value = try map.value(key)
            let found = try value.string()
            guard found == expected else {
                throw value.error("`config export` writes MMAction2 \(mmaction2Version) configs of \(supportedModel.recognizer)"
                    + "(\(supportedModel.backbone), \(supportedModel.head)) only; '\(found)' is not one")
            }
        }
    }

    /// The Python config MMAction2 0.24.1 builds the same network and pipeline from.
    /// - Parameters:
    ///   - name: the zoo entry or file the config is for, named in the header comment.
    ///   - source: where the YAML came from, named in the header comment.
    /// - Throws: ``ConfigError`` at the config file's `model.backbone` when MMAction2 cannot express the network (see
    ///   ``inexpressible(_:)``).
    public static func python(_ config: ExperimentConfig, name: String, source: String) throws(ConfigError) -> String {
        let reasons = inexpressible(config)
        guard reasons.isEmpty else {
            throw ConfigError(file: config.source, line: nil, key: "model.backbone",
                              message: "MMAction2 \(mmaction2Version) cannot build this network: " + reasons.joined(separator: "; "))
        }
        return render(config, header: [
            "MMAction2 \(mmaction2Version) config for \(name), written by `skelzoo config export` from \(source).",
            "It builds the same network and pipeline as SkelZoo's YAML config; every value that changes a result is spelled out.",
        ], extensions: false)
    }

    /// The config as a checkpoint's `meta['config']` records it: ``python(_:name:source:)``'s text, or for a network
    /// MMAction2 cannot build, the same text with the SkelZoo extension keys kept and a comment saying so (still valid
    /// Python for mmcv's `Config.fromstring`, which only reads `gpu_ids` from it on resume).
    public static func checkpointText(_ config: ExperimentConfig, name: String) -> String {
        let reasons = inexpressible(config)
        var header = ["MMAction2 \(mmaction2Version)-style config of \(name), as SkelZoo trained it."]
        header += reasons.map { "Not buildable by MMAction2: \($0)." }
        return render(config, header: header, extensions: !reasons.isEmpty)
    }

    // MARK: - Rendering

    static func render(_ config: ExperimentConfig, header: [String], extensions: Bool) -> String {
        let model = config.model
        var backbone: [(String, PythonValue)] = [
            ("type", .string("STGCN")), ("in_channels", .int(model.inChannels)),
            ("edge_importance_weighting", .bool(model.edgeImportanceWeighting)), ("data_bn", .bool(model.dataBN)),
            ("dropout", .float(model.dropout)),
        ]
        if extensions {
            backbone += [("channels", .list(model.channels.map(PythonValue.int))), ("strides", .list(model.strides.map(PythonValue.int)))]
        }
        backbone.append(("graph_cfg", .dict([("layout", .string(model.layout)), ("strategy", .string(model.strategy)),
                                              ("max_hop", .int(model.maxHop)), ("dilation", .int(model.dilation))])))
        let loss: PythonValue = switch model.loss {
        case .crossEntropy(let weight): .dict([("type", .string("CrossEntropyLoss")), ("loss_weight", .float(weight))])
        case .cbFocal(let weight, let beta, let gamma, let counts):
            .dict([("type", .string("CBFocalLoss")), ("loss_weight", .float(weight)), ("samples_per_cls", .list(counts.map(PythonValue.int))),
                   ("beta", .float(beta)), ("gamma", .float(gamma))])
        }
        let modelValue: PythonValue = .dict([
            ("type", .string("SkeletonGCN")), ("backbone", .dict(backbone)),
            ("cls_head", .dict([("type", .string("STGCNHead")), ("num_classes", .int(model.numClasses)),
                                ("in_channels", .int(model.headInChannels)), ("loss_cls", loss), ("spatial_type", .string(model.spatialType)),
                                ("num_person", .int(model.numPerson)), ("init_std", .float(model.initStd))])),
            ("train_cfg", .none), ("test_cfg", .none),
        ])
        let pipelines = [("train_pipeline", config.trainPipeline), ("val_pipeline", config.valPipeline), ("test_pipeline", config.testPipeline)]
        /// A dataset's pipeline names the variable MMAction2's configs use for it (`val_pipeline` for `val`) when equal,
        /// else any equal one, else it is written out.
        func dataset(_ dataset: DatasetConfig, pipelineName: String) -> PythonValue {
            let match = pipelines.first { $0.0 == pipelineName && $0.1 == dataset.pipeline } ?? pipelines.first { $0.1 == dataset.pipeline }
            let pipeline = match.map { PythonValue.name($0.0) } ?? .list(dataset.pipeline.map(step))
            let pose: PythonValue = .dict([("type", .name("dataset_type")), ("ann_file", .string(dataset.annFile)),
                                           ("data_prefix", .string(dataset.dataPrefix)), ("pipeline", pipeline)])
            return dataset.repeatTimes == 1 ? pose : .dict([("type", .string("RepeatDataset")), ("times", .int(dataset.repeatTimes)), ("dataset", pose)])
        }
        let optimizer = config.optimizer
        var assignments: [(String, PythonValue)] = [
            ("model", modelValue),
            ("dataset_type", .string("PoseDataset")),
            ("ann_file_train", .string(config.annFileTrain)),
            ("ann_file_val", .string(config.annFileVal)),
        ]
        assignments += pipelines.map { ($0.0, .list($0.1.map(step))) }
        assignments += [
            ("data", .dict([("videos_per_gpu", .int(config.data.videosPerGPU)), ("workers_per_gpu", .int(config.data.workersPerGPU)),
                            ("test_dataloader", .dict([("videos_per_gpu", .int(config.data.testVideosPerGPU))])),
                            ("train", dataset(config.data.train, pipelineName: "train_pipeline")),
                            ("val", dataset(config.data.val, pipelineName: "val_pipeline")),
                            ("test", dataset(config.data.test, pipelineName: "test_pipeline"))])),
            ("optimizer", .dict([("type", .string("SGD")), ("lr", .float(optimizer.lr)), ("momentum", .float(optimizer.momentum)),
                                 ("weight_decay", .float(optimizer.weightDecay)), ("nesterov", .bool(optimizer.nesterov))])),
            ("optimizer_config", .dict([("grad_clip", .none)])),
            ("lr_config", .dict([("policy", .string("step")), ("step", .list(config.lrSchedule.steps.map(PythonValue.int))),
                                 ("gamma", .float(config.lrSchedule.gamma)), ("by_epoch", .bool(true))])),
            ("total_epochs", .int(config.totalEpochs)),
            ("checkpoint_config", .dict([("interval", .int(config.checkpointInterval))])),
            ("evaluation", .dict([("interval", .int(config.evaluation.interval)), ("metrics", .list(config.evaluation.metrics.map(PythonValue.string))),
                                  ("metric_options", .dict([("top_k_accuracy", .dict([("topk", .tuple(config.evaluation.topk.map(PythonValue.int)))]))]))])),
            ("log_config", .dict([("interval", .int(config.logInterval)), ("hooks", .list([.dict([("type", .string("TextLoggerHook"))])]))])),
            // MMAction2's runtime settings (tools/train.py reads them); they change no result.
            ("dist_params", .dict([("backend", .string("nccl"))])),
            ("log_level", .string("INFO")),
            ("work_dir", .string(config.workDir)),
            ("load_from", .none),
            ("resume_from", .none),
            ("workflow", .list([.tuple([.string("train"), .int(1)])])),
        ]
        var text = header.map { "# " + $0 }.joined(separator: "\n") + "\n"
        if config.synthetic != nil {
            text += "# The annotation files are SkelZoo's synthetic data, generated from the YAML config's `synthetic` recipe\n"
            text += "# (by `skelzoo train` on first use, or `skelzoo data synth` with the recipe's values).\n"
        }
        for (name, value) in assignments {
            text += "\(name) = \(value.rendered(indent: 0, prefix: name.count + 3))\n"
        }
        return text
    }

    static func step(_ step: PipelineStep) -> PythonValue {
        switch step {
        case .paddingWithLoop(let clip, let clips):
            .dict([("type", .string("PaddingWithLoop")), ("clip_len", .int(clip)), ("num_clips", .int(clips))])
        case .poseDecode:
            .dict([("type", .string("PoseDecode"))])
        case .formatGCNInput(let format, let persons):
            .dict([("type", .string("FormatGCNInput")), ("input_format", .string(format)), ("num_person", .int(persons))])
        case .poseNormalize(let mean, let minValue, let maxValue):
            .dict([("type", .string("PoseNormalize")), ("mean", .tuple(mean.map(PythonValue.float))),
                   ("min_value", .tuple(minValue.map(PythonValue.float))), ("max_value", .tuple(maxValue.map(PythonValue.float)))])
        case .collect(let keys, let metaKeys):
            .dict([("type", .string("Collect")), ("keys", .list(keys.map(PythonValue.string))), ("meta_keys", .list(metaKeys.map(PythonValue.string)))])
        case .toTensor(let keys):
            .dict([("type", .string("ToTensor")), ("keys", .list(keys.map(PythonValue.string)))])
        case .preNormalize2D, .preNormalize3D, .genSkeFeat, .uniformSampleFrames, .formatGCNClips, .packActionInputs:
            preconditionFailure("inexpressible(_:) refuses configs with MMAction2 1.x transforms before they are rendered")
        }
    }

    /// The transform's MMAction2 type name, for messages.
    static func transformName(_ step: PipelineStep) -> String {
        switch step {
        case .preNormalize2D: "PreNormalize2D"
        case .preNormalize3D: "PreNormalize3D"
        case .genSkeFeat: "GenSkeFeat"
        case .uniformSampleFrames: "UniformSampleFrames"
        case .formatGCNClips, .formatGCNInput: "FormatGCNInput"
        case .packActionInputs: "PackActionInputs"
        case .paddingWithLoop: "PaddingWithLoop"
        case .poseDecode: "PoseDecode"
        case .poseNormalize: "PoseNormalize"
        case .collect: "Collect"
        case .toTensor: "ToTensor"
        }
    }

    static func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
}

/// A Python literal as MMAction2 configs write them.
enum PythonValue: Equatable {
    case dict([(String, PythonValue)])
    case list([PythonValue])
    case tuple([PythonValue])
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case none
    /// A variable assigned earlier in the file.
    case name(String)

    static func == (a: PythonValue, b: PythonValue) -> Bool { a.rendered(indent: 0, prefix: 0) == b.rendered(indent: 0, prefix: 0) }

    /// The line width past which a value is broken over lines (PEP 8, as yapf formats MMAction2's configs).
    static let width = 79

    /// - Parameters:
    ///   - indent: the indentation of the line the value starts on.
    ///   - prefix: how many characters precede the value on its first line.
    func rendered(indent: Int, prefix: Int) -> String {
        let flat = self.flat
        if prefix + flat.count <= Self.width { return flat }
        let inner = String(repeating: " ", count: indent + 4)
        switch self {
        case .dict(let entries):
            let items = entries.map { key, value in inner + key + "=" + value.rendered(indent: indent + 4, prefix: indent + 4 + key.count + 1) }
            return "dict(\n" + items.joined(separator: ",\n") + ")"
        case .list(let values), .tuple(let values):
            let (open, close) = if case .list = self { ("[", "]") } else { ("(", ")") }
            // Numbers wrap like a paragraph; anything else gets a line each.
            if values.allSatisfy({ if case .int = $0 { true } else if case .float = $0 { true } else { false } }) {
                var lines: [String] = []
                var line = inner
                for (index, value) in values.enumerated() {
                    let item = value.flat + (index == values.count - 1 ? close : ",")
                    if line.count + item.count + 1 > Self.width && line != inner {
                        lines.append(line)
                        line = inner
                    }
                    line += (line == inner ? "" : " ") + item
                }
                lines.append(line)
                return open + "\n" + lines.joined(separator: "\n")
            }
            return open + "\n" + values.map { inner + $0.rendered(indent: indent + 4, prefix: indent + 4) }.joined(separator: ",\n") + close
        default:
            return flat
        }
    }

    /// The value on one line.
    var flat: String {
        switch self {
        case .dict(let entries): "dict(" + entries.map { "\($0.0)=\($0.1.flat)" }.joined(separator: ", ") + ")"
        case .list(let values): "[" + values.map(\.flat).joined(separator: ", ") + "]"
        case .tuple(let values): "(" + values.map(\.flat).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
        case .string(let text): Self.quoted(text)
        case .int(let value): String(value)
        // Swift's shortest round-trip digits, which Python's float() reads back to the same double ("0.0001", "1e-05").
        case .float(let value): value.description
        case .bool(let value): value ? "True" : "False"
        case .none: "None"
        case .name(let name): name
        }
    }

    /// A single-quoted Python string literal.
    static func quoted(_ text: String) -> String {
        var result = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += String(format: "\\x%02x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "'"
    }
}
