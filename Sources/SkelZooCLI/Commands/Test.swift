import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooPose
import ZooRegistry
import ZooRunner
import ZooSTGCN
import ZooTorch

extension SkelZoo {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a checkpoint on annotations, as MMAction2's tools/test.py --eval does.",
            discussion: """
            Runs the config's test pipeline and the model in eval mode, and prints top1_acc, top5_acc and
            mean_class_accuracy (fractions, as MMAction2 prints them). MMAction2 1.x entries (RecognizerGCN) run
            their 10-clip test pipeline, score each sample by the mean of its clips' softmax (pred_score, also what
            --out writes) and print acc/top1, acc/top5 and acc/mean1. With a zoo entry name the run is recorded
            in the registry. The checkpoint is read without running any code from it.

            Examples:
              skelzoo test stgcn_80e_ntu60_xsub_keypoint stgcn_80e_ntu60_xsub_keypoint-e7bb9653.pth --ann-file ntu60_xsub_val.pkl
              skelzoo test configs/stgcn/stgcn_80e_babel60.yml model.pth --ann-file babel60_val.pkl --out result.json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A zoo entry name or a config YAML file.")
        var model: String

        @Argument(help: "The checkpoint (.pth, torch zip or legacy format).")
        var checkpoint: String

        @Option(help: "Annotation pickle (MMAction2 0.x list or 1.x split/annotations).")
        var annFile: String

        @Option(help: "Split of a 1.x annotation file (e.g. xsub_val; 1.x configs default to their test split).")
        var split: String?

        @Option(parsing: .upToNextOption, help: "Metrics: top_k_accuracy, mean_class_accuracy (default: both).")
        var eval: [String] = ["top_k_accuracy", "mean_class_accuracy"]

        @Option(help: "Write metrics and per-sample logits as JSON here.")
        var out: String?

        @Option(help: "Samples per forward pass (default: the config's test batch size).")
        var batchSize: Int?

        @Option(help: "Worker threads.")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Flag(help: "Print the metrics as JSON.")
        var json = false

        func validate() throws {
            for name in eval where !ExperimentConfig.knownMetrics.contains(name) {
                throw ValidationError("unknown metric '\(name)' (expected: \(ExperimentConfig.knownMetrics.joined(separator: ", ")))")
            }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let resolved = try ModelArgument.resolveAny(model, global: global)
                let checkpointURL = URL(fileURLWithPath: checkpoint)
                let annURL = URL(fileURLWithPath: annFile)
                let progress = ProgressLine("testing")
                // Model and annotations are read (and rejected) before a run is recorded.
                let evaluate: () throws -> Evaluation
                switch resolved.config {
                case .mmaction0x(let config):
                    var network = try ModelArgument.loadModel(config, checkpoint: checkpointURL)
                    let (_, samples) = try AnnotationFile.load(annURL, split: split)
                    evaluate = {
                        try Evaluator.evaluate(
                            &network, samples: samples, pipeline: PosePipeline(config.testPipeline), metrics: eval, topk: config.evaluation.topk,
                            batchSize: batchSize ?? config.data.testVideosPerGPU, threads: threads,
                            source: annURL.path) { done, total in progress.update(done, total) }
                    }
                case .mmaction1x(let config):
                    // MMAction2 1.x: the 10-clip test pipeline, pred_score = mean of the clips' softmax, AccMetric.
                    let network = try TaskRunner.loadRecognizer(config, checkpoint: checkpointURL)
                    let (_, samples) = try AnnotationFile.load(annURL, split: split ?? config.test.split)
                    evaluate = {
                        try ClipEvaluator.evaluate(
                            network, samples: samples, pipeline: ClipPipeline(config.testPipeline.steps), metrics: eval,
                            topk: config.evaluator.topk, batchSize: batchSize ?? config.test.batchSize, threads: threads,
                            source: annURL.path) { done, total in progress.update(done, total) }
                    }
                }
                let started = Date()
                var recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: "eval", seed: nil, threads: threads,
                                               configHash: resolved.configHash, workDir: nil)
                if recorder.run != nil { recorder.run?.checkpointSHA256 = try Hashing.sha256(of: checkpointURL) }
                let evaluation: Evaluation
                do {
                    evaluation = try evaluate()
                } catch {
                    recorder.fail(error)
                    throw error
                }
                try recorder.succeed(scores: Dictionary(uniqueKeysWithValues: evaluation.metrics), wallSeconds: Date().timeIntervalSince(started))
                if let out {
                    try AtomicFile.write(try TestOutput(evaluation).encoded(), to: URL(fileURLWithPath: out))
                }
                if json {
                    try Console.output(try Console.json(Dictionary(uniqueKeysWithValues: evaluation.metrics)))
                } else {
                    for (name, value) in evaluation.metrics { try Console.output("\(name): \(String(format: "%.4f", value))") }
                }
            }
        }
    }
}

/// `--out` JSON: `{"metrics": {...}, "samples": [{"frame_dir", "label", "scores"}]}` in annotation order; `scores` are the
/// logits (0.x) or `pred_score` (1.x).
struct TestOutput: Encodable {
    var metrics: [String: Double]
    var samples: [Evaluation.Sample]

    init(_ evaluation: Evaluation) {
        metrics = Dictionary(uniqueKeysWithValues: evaluation.metrics)
        samples = evaluation.samples
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}

/// A model given on the command line: a zoo entry name, or a config file.
enum ModelArgument {
    struct Resolved {
        var config: ExperimentConfig
        var entry: ZooEntry?
        var context: ZooContext?
        /// sha256 of the config text.
        var configHash: String
    }

    /// A 0.x or 1.x config, with the entry and context when the argument names a zoo entry.
    struct ResolvedAny {
        var config: EntryConfig
        var entry: ZooEntry?
        var context: ZooContext?
        /// sha256 of the config text.
        var configHash: String
    }

    static func resolveAny(_ argument: String, global: GlobalOptions) throws -> ResolvedAny {
        let looksLikeFile = argument.hasSuffix(".yml") || argument.hasSuffix(".yaml") || argument.contains("/")
        if looksLikeFile {
            guard let text = try ZooSources.readText(URL(fileURLWithPath: argument)) else { throw CLIError("no config file at \(argument)") }
            return ResolvedAny(config: try parse(text, file: argument), entry: nil, context: nil, configHash: Hashing.sha256(Data(text.utf8)))
        }
        let context = try ZooContext(global)
        let entry = try context.entry(named: argument)
        let (text, origin) = try context.sources.configText(for: entry)
        return ResolvedAny(config: try parse(text, file: origin), entry: entry, context: context, configHash: Hashing.sha256(Data(text.utf8)))
    }

    static func parse(_ text: String, file: String) throws -> EntryConfig {
        switch try ConfigKind.of(text, file: file) {
        case .mmaction0x: .mmaction0x(try ExperimentConfig.parse(text, file: file))
        case .mmaction1x: .mmaction1x(try RecognizerGCNConfig.parse(text, file: file))
        }
    }

    /// A 0.x config (the commands that do not support 1.x entries yet).
    static func resolve(_ argument: String, global: GlobalOptions) throws -> Resolved {
        let resolved = try resolveAny(argument, global: global)
        guard case .mmaction0x(let config) = resolved.config else {
            throw CLIError("'\(argument)' is an MMAction2 1.x config (RecognizerGCN); this command supports the 0.x configs only")
        }
        return Resolved(config: config, entry: resolved.entry, context: resolved.context, configHash: resolved.configHash)
    }

    /// Builds the config's model and loads the checkpoint's weights into it.
    static func loadModel(_ config: ExperimentConfig, checkpoint: URL) throws -> STGCN {
        try TaskRunner.loadModel(config, checkpoint: checkpoint)
    }
}
