import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner

/// `skelzoo train`: one seeded run of a zoo entry or a config file, recorded in the registry for a zoo entry.
public enum Training {
    public struct Request {
        public var model: ModelArgument.Resolved
        public var seed: Int
        /// nil: `work_dirs/<name>/seed<N>`.
        public var workDir: URL?
        public var resume = false
        public var loadFrom: URL?
        public var validate = true
        public var threads: Int
        /// The folder the config's ann_file paths are relative to.
        public var dataRoot: URL
        public var gpus: Int?
        public var totalBatch: Int?

        public init(model: ModelArgument.Resolved, seed: Int, workDir: URL?, threads: Int, dataRoot: URL) {
            self.model = model
            self.seed = seed
            self.workDir = workDir
            self.threads = threads
            self.dataRoot = dataRoot
        }
    }

    public struct Outcome {
        public var result: TrainingResult
        public var workDir: URL
        /// Data warnings (e.g. train and val overlap), to show after the run.
        public var warnings: [String]
    }

    public static func run(_ request: Request, log: HarnessLog) throws -> Outcome {
        let resolved = request.model
        let work = request.workDir ?? URL(fileURLWithPath: "work_dirs/\(resolved.name)/seed\(request.seed)")
        // The GPU layout is settled before any data is read, so a --total-batch the recipe cannot split fails first.
        let recipe = resolved.entry.map { PublishedRecipe.resolve(entry: $0, config: resolved.config) }
        let layout = try GPULayout.resolve(gpus: request.gpus, totalBatch: request.totalBatch, recipe: recipe, config: resolved.config)
        let data = DataResolver(root: request.dataRoot)
        let files = try data.annotationFiles(for: resolved.config, entryName: resolved.entry?.name)
        let train = try AnnotationFile.load(files.train).samples
        let val = try AnnotationFile.load(files.val).samples
        let splits = try DatasetFingerprint.trainingSplits(config: resolved.config, resolver: data, files: files, train: train, val: val)
        var setup = TrainingSetup(config: resolved.config, configHash: resolved.configHash, configName: resolved.name, seed: UInt64(request.seed),
                                  threads: request.threads, workDirectory: work, resume: request.resume,
                                  loadFrom: request.loadFrom, validate: request.validate,
                                  trainSource: files.train.path, valSource: files.val.path,
                                  gpus: layout.gpus, perGPUBatch: layout.perGPUBatch)
        setup.data = splits
        let recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: .train, seed: request.seed,
                                       threads: request.threads, configHash: resolved.configHash, workDir: work.path, log: log)
        let result: TrainingResult
        do {
            result = try TrainingRunner.run(setup, train: train, val: val, log: log)
        } catch {
            recorder.fail(error)
            throw error
        }
        try recorder.succeed(result)
        return Outcome(result: result, workDir: work, warnings: DatasetFingerprint.warnings(splits))
    }
}

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

    /// Returns the metrics in the order MMAction2 prints them.
    public static func run(_ request: Request, log: HarnessLog) throws -> [(name: String, value: Double)] {
        let resolved = request.model
        var network = try ModelLoader.model(resolved.config, checkpoint: request.checkpoint)
        let (_, samples) = try AnnotationFile.load(request.annotations, split: request.split)
        let pipeline = PosePipeline(resolved.config.testPipeline)
        let progress = log.progress("testing", 30)
        let started = Date()
        var recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: .eval, seed: nil, threads: request.threads,
                                       configHash: resolved.configHash, workDir: nil, log: log)
        if recorder.run != nil { recorder.run?.checkpointSHA256 = try Hashing.sha256(of: request.checkpoint) }
        let evaluation: Evaluation
        do {
            evaluation = try Evaluator.evaluate(
                &network, samples: samples, pipeline: pipeline, metrics: request.metrics, topk: resolved.config.evaluation.topk,
                batchSize: request.batchSize ?? resolved.config.data.testVideosPerGPU, threads: request.threads,
                source: request.annotations.path) { done, total in progress(done, total, "samples") }
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
}

/// `test --out` JSON: `{"metrics": {...}, "samples": [{"frame_dir", "label", "scores"}]}` in annotation order.
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
