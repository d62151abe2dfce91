import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner

/// Runs a trainer with its progress in the log.
public enum TrainingRunner {
    /// Trains, then for a 1.x config scores the final weights on the test split with the test pipeline (10 clips,
    /// `pred_score`, AccMetric), as `skelzoo test` does: those become the result's metrics (result.json is rewritten),
    /// the per-epoch validation stays in its history.
    public static func run(_ setup: TrainingSetup, data: TrainingData, log: HarnessLog) throws -> TrainingResult {
        var result = try run(setup, train: data.train, val: data.val, log: log)
        guard case .mmaction1x(let config) = setup.config, let test = data.test else { return result }
        let model = try ModelLoader.recognizer(config, checkpoint: setup.workDirectory.appending(path: "latest.pth"))
        let progress = log.progress("testing", 30)
        let evaluation = try CheckpointTest.evaluate(model, config: config, samples: test, batchSize: nil, threads: setup.threads,
                                                     source: data.testSource) { done, total in progress(done, total, "samples") }
        result.metrics = Dictionary(uniqueKeysWithValues: evaluation.metrics)
        log.info("test (\(config.testPipeline.numClips) clips per sample): " + evaluation.metrics.map { "\($0.0)=\(String(format: "%.4f", $0.1))" }.joined(separator: " "))
        try AtomicFile.write(try result.encoded(), to: setup.workDirectory.appending(path: "result.json"))
        return result
    }

    public static func run(_ setup: TrainingSetup, train: [PoseSample], val: [PoseSample], log: HarnessLog) throws -> TrainingResult {
        let trainer = try Trainer(setup, train: train, val: val)
        let plan = try TrainingPlan(setup.config)
        let total = plan.totalEpochs
        let progress = log.progress("training", 15)
        var done = 0
        let perEpoch = DistributedSampler.iterations(epochLength: train.count * plan.repeatTimes, ranks: setup.gpus,
                                                     batchSize: setup.perGPUBatch ?? plan.batchSize)
        if setup.gpus > 1 || setup.perGPUBatch != nil {
            let perGPU = setup.perGPUBatch ?? plan.batchSize
            log.info("data parallel: \(setup.gpus) emulated GPU(s) x \(perGPU) samples = total batch \(setup.gpus * perGPU)")
        }
        return try trainer.run { event in
            switch event {
            case .resumed(let epoch, let iteration):
                log.info("resuming \(setup.workDirectory.path) after epoch \(epoch) (iteration \(iteration))")
                done = iteration
            case .iteration:
                done += 1
                progress(done, total * perEpoch, "iterations")
            case .epochFinished(let summary):
                let validation = summary.validation.map { " " + $0.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ") } ?? ""
                log.info("epoch \(summary.epoch)/\(total): loss \(String(format: "%.4f", summary.loss)) lr \(summary.learningRate)\(validation)")
            case .checkpointWritten:
                break
            }
        }
    }
}

/// `--gpus` and `--total-batch`: checked, then resolved against the entry's published recipe.
public enum GPULayout {
    /// - Throws: ``HarnessError`` saying which option is out of range.
    public static func validate(gpus: Int?, totalBatch: Int?) throws {
        if let gpus, gpus < 1 { throw HarnessError("--gpus must be at least 1 (got \(gpus))") }
        if let gpus, gpus > CheckpointIO.maxGPUs { throw HarnessError("--gpus must be at most \(CheckpointIO.maxGPUs) (got \(gpus))") }
        if let totalBatch, totalBatch < 1 { throw HarnessError("--total-batch must be at least 1 (got \(totalBatch))") }
        if let gpus, let totalBatch, totalBatch % gpus != 0 {
            throw HarnessError("--total-batch \(totalBatch) is not divisible by --gpus \(gpus): every GPU takes the same batch")
        }
    }

    /// A 1.x config's layout: one process (mmengine's multi-GPU DDP is not emulated for 1.x), whose batch is `--total-batch`,
    /// else the published total batch (`gpus` x `train_dataloader.batch_size`), so the iterations per epoch and the cosine
    /// schedule are the published run's; BN then normalises over the whole batch instead of each GPU's share.
    /// - Throws: ``HarnessError`` for `--gpus` other than 1.
    public static func resolve(gpus: Int?, totalBatch: Int?, config: RecognizerGCNConfig, log: HarnessLog) throws -> (gpus: Int, perGPUBatch: Int?) {
        if let gpus, gpus != 1 {
            throw HarnessError("--gpus \(gpus): MMAction2 1.x configs train in one process (mmengine's DDP with SyncBuffersHook is not emulated)",
                               hint: "pass --gpus 1, with --total-batch for a total batch other than the published \(config.totalBatch)")
        }
        let total = totalBatch ?? config.totalBatch
        if totalBatch == nil && config.gpus > 1 {
            log.info("MMAction2 1.x: one process with the published total batch \(total) (\(config.gpus) GPUs x \(config.train.batchSize)); "
                     + "BN statistics span the whole batch, not one GPU's")
        }
        return (1, total == config.train.batchSize ? nil : total)
    }

    /// The GPUs (given, else the recipe's, else 1) and the per-GPU batch (nil: the config's videos_per_gpu).
    public static func resolve(gpus: Int?, totalBatch: Int?, recipe: PublishedRecipe?, config: ExperimentConfig) throws -> (gpus: Int, perGPUBatch: Int?) {
        let count = gpus ?? recipe?.defaultGPUs ?? 1
        guard let totalBatch else { return (count, nil) }
        guard totalBatch % count == 0 else {
            throw HarnessError("--total-batch \(totalBatch) is not divisible by \(count) GPU(s)\(gpus == nil ? " (the published recipe's count)" : "")",
                               hint: "pass a multiple of \(count), or --gpus with a count that divides \(totalBatch)")
        }
        let perGPU = totalBatch / count
        return (count, perGPU == config.data.videosPerGPU ? nil : perGPU)
    }
}
