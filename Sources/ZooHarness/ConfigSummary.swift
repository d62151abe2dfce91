import ZooConfig
import ZooPose
import ZooSTGCN

/// `skelzoo show`'s config lines and parameter count.
public enum ConfigSummary {
    /// Parameters of the model the config builds (SkelZoo's ST-GCN).
    public static func parameterCount(_ config: ExperimentConfig) -> Int {
        STGCNConfiguration(config.model).parameterCount
    }

    /// Parameters of an MMAction2 0.x config's model (nil for 1.x configs: their count is the checkpoint's).
    public static func parameterCount(_ config: EntryConfig) -> Int? {
        guard case .mmaction0x(let config) = config else { return nil }
        return parameterCount(config)
    }

    public static func lines(_ config: EntryConfig) -> [String] {
        switch config {
        case .mmaction0x(let config): lines(config)
        case .mmaction1x(let config): lines(config)
        }
    }

    public static func lines(_ config: RecognizerGCNConfig) -> [String] {
        let backbone = config.backbone
        let units: String
        switch backbone.architecture {
        case .stgcn(let adaptive, let position, let residual, let temporal, _):
            let tcn: String
            switch temporal {
            case .unit: tcn = "unit_tcn"
            case .multiScale(let branches, _): tcn = "mstcn (\(branches.count) branches)"
            }
            units = "STGCN: unit_gcn adaptive=\(adaptive.rawValue) conv_pos=\(position) with_res=\(residual), \(tcn)"
        case .aagcn(let adaptive, let coff, let attention):
            units = "AAGCN: unit_aagcn adaptive=\(adaptive) coff_embedding=\(coff) attention=\(attention), unit_tcn"
        }
        func loader(_ name: String, _ l: DataloaderConfig) -> String {
            "\(name) \(l.annFile) [\(l.split)]\(l.repeatTimes > 1 ? " x\(l.repeatTimes) (RepeatDataset)" : ""), batch \(l.batchSize)"
        }
        let optimizer = config.optimizer
        return [
            "model: \(units); graph \(backbone.layout) (\(backbone.graphMode), max_hop \(backbone.maxHop)), data_bn \(backbone.dataBNType ?? "none"), channels \(backbone.stageChannels.map(String.init).joined(separator: ","))",
            "head: GCNHead, \(config.head.numClasses) classes, average_clips \(config.head.averageClips ?? "none"), loss \(config.head.loss.name)",
            "data: \(loader("train", config.train)); \(loader("val", config.val)); \(loader("test", config.test))",
            "test pipeline: \(config.testPipeline.transforms.joined(separator: " -> ")) (clip_len \(config.testPipeline.clipLength), \(config.testPipeline.numClips) clips)",
            "schedule: \(config.maxEpochs) epochs on \(config.gpus) GPU(s) x \(config.train.batchSize), SGD lr \(optimizer.lr) momentum \(optimizer.momentum) wd \(optimizer.weightDecay)\(optimizer.nesterov ? " nesterov" : "")",
            "evaluation: every \(config.valInterval) epoch(s) from \(config.valBegin): AccMetric \(config.evaluator.metrics.joined(separator: ", ")) (top-k \(config.evaluator.topk.map(String.init).joined(separator: ",")))",
        ]
    }

    public static func lines(_ config: ExperimentConfig) -> [String] {
        let model = config.model
        var lines = [
            "model: STGCN, layout \(model.layout) (\(model.strategy), max_hop \(model.maxHop)), in_channels \(model.inChannels), channels \(model.channels.map(String.init).joined(separator: ","))",
            "head: \(model.numClasses) classes, \(model.numPerson) person(s), loss \(model.loss.name)",
            "data: train \(config.data.train.annFile)\(config.data.train.repeatTimes > 1 ? " x\(config.data.train.repeatTimes) (RepeatDataset)" : ""), val \(config.data.val.annFile)",
            "pipeline: \(config.testPipeline.map(stepName).joined(separator: " -> "))",
            "schedule: \(config.totalEpochs) epochs, batch \(config.data.videosPerGPU) per GPU, SGD lr \(config.optimizer.lr) momentum \(config.optimizer.momentum) wd \(config.optimizer.weightDecay)\(config.optimizer.nesterov ? " nesterov" : ""), lr x\(config.lrSchedule.gamma) at epochs \(config.lrSchedule.steps.map(String.init).joined(separator: ","))",
            "evaluation: every \(config.evaluation.interval) epoch(s): \(config.evaluation.metrics.joined(separator: ", "))",
        ]
        if case .cbFocal(_, let beta, let gamma, let counts) = model.loss {
            lines.append("CBFocalLoss: beta \(beta), gamma \(gamma), samples_per_cls for \(counts.count) classes (\(counts.min() ?? 0)..\(counts.max() ?? 0))")
        }
        return lines
    }

    public static func stepName(_ step: PipelineStep) -> String {
        switch step {
        case .paddingWithLoop(let clip, _): "PaddingWithLoop(\(clip))"
        case .poseDecode: "PoseDecode"
        case .formatGCNInput(_, let persons): "FormatGCNInput(M=\(persons))"
        case .poseNormalize: "PoseNormalize"
        case .collect: "Collect"
        case .toTensor: "ToTensor"
        case .preNormalize2D: "PreNormalize2D"
        case .preNormalize3D: "PreNormalize3D"
        case .genSkeFeat(let dataset, let feats): "GenSkeFeat(\(dataset.rawValue), \(feats.map(\.rawValue).joined(separator: "+")))"
        case .uniformSampleFrames(let clip, let clips, let testMode, _): "UniformSampleFrames(\(clip) x \(clips)\(testMode ? ", test" : ""))"
        case .formatGCNClips(let persons, _): "FormatGCNInput(M=\(persons))"
        case .packActionInputs: "PackActionInputs"
        }
    }
}
