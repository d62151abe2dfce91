import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness

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

        @OptionGroup var threading: ThreadsOption

        @Flag(help: "Print the metrics as JSON.")
        var json = false

        func validate() throws {
            for name in eval where !ExperimentConfig.knownMetrics.contains(name) {
                throw ValidationError("unknown metric '\(name)' (expected: \(ExperimentConfig.knownMetrics.joined(separator: ", ")))")
            }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let resolved = try ModelArgument.resolve(model, context: global.context)
                let request = CheckpointTest.Request(model: resolved, checkpoint: URL(fileURLWithPath: checkpoint), annotations: URL(fileURLWithPath: annFile),
                                              split: split, metrics: eval, batchSize: batchSize, threads: threading.threads,
                                              out: out.map { URL(fileURLWithPath: $0) })
                let metrics = try CheckpointTest.run(request, log: Console.log)
                if json {
                    try Console.output(try Console.json(Dictionary(uniqueKeysWithValues: metrics.map { ($0.name, $0.value) })))
                } else {
                    for (name, value) in metrics { try Console.output("\(name): \(String(format: "%.4f", value))") }
                }
            }
        }
    }
}
