import ZooConfig
import ZooSTGCN

/// `skelzoo show`'s config lines and parameter count.
public enum ConfigSummary {
    /// Parameters of the model the config builds (SkelZoo's ST-GCN).
    public static func parameterCount(_ config: ExperimentConfig) -> Int {
        STGCNConfiguration(config.model).parameterCount
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
        }
    }
}
