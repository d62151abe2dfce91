import ArgumentParser
import Foundation
import ZooConfig
import ZooRegistry
import ZooSTGCN
import ZooRunner

extension SkelZoo {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one zoo entry: metadata, published scores with sources, config, checkpoint and past runs.",
            discussion: """
            Examples:
              skelzoo show stgcn_80e_babel120_wfl
              skelzoo show stgcn_80e_ntu60_xsub_keypoint --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Zoo entry name (see `skelzoo list`).")
        var entry: String

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            try Console.run {
                let context = try ZooContext(global)
                let zooEntry = try context.entry(named: entry)
                // A fusion entry has no model: its components carry the configs and checkpoints.
                let config = zooEntry.fusion == nil ? try context.sources.entryConfig(for: zooEntry) : nil
                let runs = try context.registry.runs(for: zooEntry.name)
                let state = try context.checkpointState(zooEntry)
                var parameters: Int?
                if case .mmaction0x(let config0x)? = config { parameters = STGCNConfiguration(config0x.model).parameterCount }
                let recipe = config.map { PublishedRecipe.resolve(entry: zooEntry, config: $0) }
                let entries = context.files.flatMap(\.entries)
                if json {
                    struct Output: Encodable {
                        var entry: ZooEntry
                        var parameterCount: Int?
                        var recipe: PublishedRecipe?
                        var checkpointState: String
                        var runs: [ShownRun]
                    }
                    try Console.output(try Console.json(Output(entry: zooEntry, parameterCount: parameters, recipe: recipe, checkpointState: state.rawValue,
                                                               runs: runs.map(ShownRun.init))))
                    return
                }
                var out: [String] = []
                out.append("\(zooEntry.name)  (\(zooEntry.collection), from \(zooEntry.zooFile))")
                out.append("")
                out.append("Metadata:")
                for pair in zooEntry.metadata { out.append("  \(pair[0]): \(pair[1])") }
                if let parameters { out.append("  Parameters (SkelZoo model): \(parameters)") }
                out.append("")
                out.append("Published scores:")
                var footnotes: [String] = []
                for score in zooEntry.scores {
                    var mark = ""
                    if let footnote = score.footnote {
                        footnotes.append(footnote)
                        mark = String(repeating: "*", count: footnotes.count)
                    }
                    out.append("  \(score.dataset)  \(score.metric): \(score.value)\(mark)  [\(score.source)]")
                }
                for (index, footnote) in footnotes.enumerated() { out.append("  \(String(repeating: "*", count: index + 1)) \(footnote)") }
                out.append("")
                if let fusion = zooEntry.fusion {
                    out.append("Fusion: weighted sum of the streams' scores\(fusion.applySoftmax ? " after a softmax per stream" : " (pred_score, no softmax)")")
                    for component in fusion.components {
                        let stream = entries.first { $0.name == component.entry }
                        let top1 = stream?.published("Top 1 Accuracy").map { "Top-1 \($0.value)" } ?? "no published Top-1"
                        out.append("  \(FuseArguments.format(component.weight)) x \(component.entry)  (\(top1))")
                    }
                    if let source = fusion.source { out.append("  [\(source)]") }
                    out.append("  compute it: skelzoo test COMPONENT CHECKPOINT --ann-file FILE --out COMPONENT.json for each, then")
                    out.append("  skelzoo fuse \(zooEntry.name) \(fusion.components.map { "\($0.entry).json" }.joined(separator: " "))")
                }
                if let recipe {
                    out.append("Published recipe:")
                    out.append(contentsOf: recipe.lines.map { "  " + $0 })
                }
                if let config, let path = zooEntry.config {
                    out.append("")
                    out.append("Config: \(path)")
                    out.append(contentsOf: ConfigSummary.lines(config).map { "  " + $0 })
                }
                out.append("")
                if zooEntry.fusion != nil {
                    out.append("Checkpoint: none of its own (see its components)")
                } else {
                    out.append("Checkpoint: \(state.rawValue)")
                }
                if let url = zooEntry.weightsURL { out.append("  url: \(url)") }
                if let sha = zooEntry.sha256 { out.append("  sha256: \(sha)") }
                if let prefix = zooEntry.sha256Prefix { out.append("  sha256 prefix (from the file name): \(prefix)") }
                if let log = zooEntry.trainingLog { out.append("  training log: \(log)") }
                if let log = zooEntry.trainingJSONLog { out.append("  training json log: \(log)") }
                for url in zooEntry.dataURLs { out.append("  data: \(url)") }
                if let reference = zooEntry.reference {
                    out.append("")
                    out.append("Reference run: seed \(reference.seed), \(reference.threads) thread(s), weights sha256 \(reference.weightsSHA256)")
                    out.append("  arithmetic \(reference.arithmetic), recorded on \(reference.cpu)\(reference.isa.map { " (\($0))" } ?? "")")
                }
                if !zooEntry.notes.isEmpty {
                    out.append("")
                    out.append("Notes:")
                    for note in zooEntry.notes { out.append("  - \(note)") }
                }
                out.append("")
                if runs.isEmpty {
                    out.append("Runs: none recorded")
                } else {
                    out.append("Runs:")
                    for run in runs {
                        let scores = try context.registry.scores(ofRun: run.id ?? 0)
                            .map { "\($0.metric)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ")
                        let layout = run.gpus.map { gpus in " gpus=\(gpus)\(run.perGPUBatch.map { "x\($0)" } ?? "")" } ?? ""
                        out.append("  #\(run.id ?? 0) \(run.mode) seed=\(run.seed.map(String.init) ?? "-")\(layout) \(run.displayStatus) \(scores)")
                    }
                }
                try Console.output(out.joined(separator: "\n"))
            }
        }
    }
}

enum ConfigSummary {
    static func lines(_ config: EntryConfig) -> [String] {
        switch config {
        case .mmaction0x(let config): lines(config)
        case .mmaction1x(let config): lines(config)
        }
    }

    static func lines(_ config: RecognizerGCNConfig) -> [String] {
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

    static func lines(_ config: ExperimentConfig) -> [String] {
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

    static func stepName(_ step: PipelineStep) -> String {
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

/// A run as `show --json` prints it: the registry row plus `crashed` (still `running` there, but its process is gone).
struct ShownRun: Encodable {
    var run: Run

    enum CodingKeys: String, CodingKey { case crashed }

    func encode(to encoder: any Encoder) throws {
        try run.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run.crashed, forKey: .crashed)
    }
}
