import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner
import ZooSTGCN

/// `skelzoo test`: evaluates a checkpoint on annotations, recorded in the registry for a zoo entry.
public enum CheckpointTest {
    public struct Request {
        public var model: ModelArgument.Resolved
        public var checkpoint: URL
        public var annotations: URL
        /// The split of a 1.x annotation file.
        public var split: String?
        public var metrics: [String]
        /// nil: the config's test batch size.
        public var batchSize: Int?
        public var threads: Int
        /// Where to write metrics and per-sample scores as JSON.
        public var out: URL?

        public init(model: ModelArgument.Resolved, checkpoint: URL, annotations: URL, split: String?, metrics: [String],
                    batchSize: Int?, threads: Int, out: URL?) {
            self.model = model
            self.checkpoint = checkpoint
            self.annotations = annotations
            self.split = split
            self.metrics = metrics
            self.batchSize = batchSize
            self.threads = threads
            self.out = out
        }
    }

    /// Returns the metrics in the order MMAction2 prints them (1.x entries: `acc/top1`, `acc/top5`, `acc/mean1`).
    public static func run(_ request: Request, log: HarnessLog) throws -> [(name: String, value: Double)] {
        let resolved = request.model
        // Model and annotations are read (and rejected) before a run is recorded.
        let evaluate: (@escaping (Int, Int) -> Void) throws -> Evaluation
        switch resolved.config {
        case .mmaction0x(let config):
            var network = try ModelLoader.model(config, checkpoint: request.checkpoint)
            let (_, samples) = try AnnotationFile.load(request.annotations, split: request.split)
            evaluate = { progress in
                try Self.evaluate(&network, config: config, samples: samples, metrics: request.metrics, batchSize: request.batchSize,
                                  threads: request.threads, source: request.annotations.path, progress: progress)
            }
        case .mmaction1x(let config):
            let network = try ModelLoader.recognizer(config, checkpoint: request.checkpoint)
            let (_, samples) = try AnnotationFile.load(request.annotations, split: request.split ?? config.test.split)
            evaluate = { progress in
                try Self.evaluate(network, config: config, samples: samples, metrics: request.metrics, batchSize: request.batchSize,
                                  threads: request.threads, source: request.annotations.path, progress: progress)
            }
        }
        let progress = log.progress("testing", 30)
        let started = Date()
        var recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: .eval, seed: nil, threads: request.threads,
                                       configHash: resolved.configHash, workDir: nil, log: log)
        if recorder.run != nil { recorder.run?.checkpointSHA256 = try Hashing.sha256(of: request.checkpoint) }
        let evaluation: Evaluation
        do {
            evaluation = try evaluate { done, total in progress(done, total, "samples") }
        } catch {
            recorder.fail(error)
            throw error
        }
        try recorder.succeed(scores: Dictionary(uniqueKeysWithValues: evaluation.metrics), wallSeconds: Date().timeIntervalSince(started))
        if let out = request.out {
            try AtomicFile.write(try TestOutput(evaluation).encoded(), to: out)
        }
        return evaluation.metrics.map { (name: $0.0, value: $0.1) }
    }

    /// A 1.x config's test: its 10-clip test pipeline, `pred_score` = the mean of the clips' softmax, AccMetric's metrics
    /// under MMAction2 1.x's names; `test` and `reproduce --mode eval` both run it.
    static func evaluate(_ model: RecognizerGCN, config: RecognizerGCNConfig, samples: [PoseSample], metrics: [String]? = nil, batchSize: Int?,
                         threads: Int, source: String, progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        try ClipEvaluator.evaluate(model, samples: samples, pipeline: ClipPipeline(config.testPipeline.steps), metrics: metrics ?? config.evaluator.metrics,
                                   topk: config.evaluator.topk, batchSize: batchSize ?? config.test.batchSize, threads: threads,
                                   source: source, progress: progress)
    }

    /// The config's test pipeline and evaluation (its metrics unless `metrics` are given, its top-k, its test batch size
    /// unless `batchSize` is given) over `samples`: what `test`, `reproduce --mode eval` and a Slurm eval task all run.
    static func evaluate(_ model: inout STGCN, config: ExperimentConfig, samples: [PoseSample], metrics: [String]? = nil, batchSize: Int?,
                         threads: Int, source: String, progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        try Evaluator.evaluate(&model, samples: samples, pipeline: PosePipeline(config.testPipeline), metrics: metrics ?? config.evaluation.metrics,
                               topk: config.evaluation.topk, batchSize: batchSize ?? config.data.testVideosPerGPU, threads: threads,
                               source: source, progress: progress)
    }
}

/// `test --out` JSON: `{"metrics": {...}, "samples": [{"frame_dir", "label", "scores"}]}` in annotation order; `scores` are the
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
