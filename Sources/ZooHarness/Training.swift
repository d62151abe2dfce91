import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner

/// `skelzoo train`: one seeded run of a zoo entry or a config file (MMAction2 0.x or 1.x), recorded in the registry for a
/// zoo entry.
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
        let data = DataResolver(root: request.dataRoot)
        let prepared: TrainingData
        let layout: (gpus: Int, perGPUBatch: Int?)
        switch resolved.config {
        case .mmaction0x(let config):
            // The GPU layout is settled before any data is read, so a --total-batch the recipe cannot split fails first.
            let recipe = resolved.entry.map { PublishedRecipe.resolve(entry: $0, config: config) }
            layout = try GPULayout.resolve(gpus: request.gpus, totalBatch: request.totalBatch, recipe: recipe, config: config)
            prepared = try TrainingData.load(config, resolver: data, entryName: resolved.entry?.name)
        case .mmaction1x(let config):
            layout = try GPULayout.resolve(gpus: request.gpus, totalBatch: request.totalBatch, config: config, log: log)
            prepared = try TrainingData.load(config, resolver: data, entryName: resolved.entry?.name)
        }
        var setup = TrainingSetup(config: resolved.config, configHash: resolved.configHash, configName: resolved.name, seed: UInt64(request.seed),
                                  threads: request.threads, workDirectory: work, resume: request.resume,
                                  loadFrom: request.loadFrom, validate: request.validate,
                                  trainSource: prepared.trainSource, valSource: prepared.valSource,
                                  gpus: layout.gpus, perGPUBatch: layout.perGPUBatch)
        setup.data = prepared.splits
        let recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: .train, seed: request.seed,
                                       threads: request.threads, configHash: resolved.configHash, workDir: work.path, log: log)
        let result: TrainingResult
        do {
            result = try TrainingRunner.run(setup, data: prepared, log: log)
        } catch {
            recorder.fail(error)
            throw error
        }
        try recorder.succeed(result)
        return Outcome(result: result, workDir: work, warnings: DatasetFingerprint.warnings(prepared.splits))
    }
}
