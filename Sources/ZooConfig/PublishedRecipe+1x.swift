// The published recipe of an MMAction2 1.x entry: the same facts as for 0.x, read from a ``RecognizerGCNConfig``
// (one annotation file with splits, CosineAnnealingLR by iteration, auto_scale_lr, 10 test clips).
import Foundation

extension PublishedRecipe {
    /// Resolves the recipe of `entry` whose config is `config`, of either release.
    public static func resolve(entry: ZooEntry, config: EntryConfig) -> PublishedRecipe {
        switch config {
        case .mmaction0x(let config): resolve(entry: entry, config: config)
        case .mmaction1x(let config): resolve(entry: entry, config: config)
        }
    }

    /// Resolves the recipe of the 1.x `entry` whose config is `config`.
    public static func resolve(entry: ZooEntry, config: RecognizerGCNConfig) -> PublishedRecipe {
        var disagreements: [String] = []
        let perGPU = config.train.batchSize
        let resources = entry.metadata("Training Resources")
        let resourceGPUs = resources.flatMap(Self.gpuCount)
        // The config's `gpus` (from the name "8xb16") is authoritative; the metafile and the zoo's Recipe must agree.
        for (what, stated) in [("metafile's Training Resources", resourceGPUs), ("zoo's Recipe", entry.recipe?.gpus)] {
            if let stated, stated != config.gpus {
                disagreements.append("the \(what) says \(stated) GPU(s), the config (\(config.gpus)xb\(perGPU)) says \(config.gpus)")
            }
        }
        if let text = entry.metadata("Batch Size"), Int(text) != perGPU {
            disagreements.append("the metafile's Batch Size \(text) is not the config's per-GPU batch_size \(perGPU)")
        }
        let repeatTimes = config.train.repeatTimes
        let passes = config.maxEpochs * repeatTimes
        if let text = entry.metadata("Epochs"), let stated = Int(text), stated != config.maxEpochs {
            if stated == passes {
                disagreements.append("the metafile's Epochs \(stated) counts passes over the data: the config runs \(config.maxEpochs) epochs of the training split repeated \(repeatTimes) times (RepeatDataset)")
            } else {
                disagreements.append("the metafile's Epochs \(stated) is neither the config's max_epochs \(config.maxEpochs) nor its \(passes) passes")
            }
        }
        func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
        let configured = Set([config.train.annFile, config.val.annFile, config.test.annFile].map(fileName))
        for url in entry.dataURLs where !configured.contains(fileName(url)) {
            disagreements.append("the zoo downloads \(fileName(url)), which the config does not read")
        }
        let precision = entry.recipe?.precision ?? "fp32"
        let schedule = config.schedulers.map { scheduler -> String in
            switch scheduler {
            case .cosineAnnealing(let etaMin, let tMax, let byEpoch, let perIteration):
                "cosine annealing from lr \(config.optimizer.lr) to \(etaMin) over \(tMax) \(byEpoch ? "epochs" : "iterations")\(perIteration ? ", updated every iteration" : "")"
            }
        }.joined(separator: "; ")
        let scaling = config.autoScaleLR.enable
            ? "auto_scale_lr: lr x total batch / \(config.autoScaleLR.baseBatchSize)"
            : "none by default (auto_scale_lr base_batch_size \(config.autoScaleLR.baseBatchSize) = \(config.gpus) x \(perGPU) applies only with --auto-scale-lr)"
        func splitName(_ loader: DataloaderConfig) -> String { "\(loader.annFile) [\(loader.split)]" }
        return PublishedRecipe(
            gpus: config.gpus, gpusSource: "config (\(config.gpus)xb\(perGPU) in the name; README gpus column)", perGPUBatch: perGPU,
            totalBatch: config.totalBatch, launcher: entry.recipe?.launcher ?? "not published", launcherSource: entry.recipe?.launcherSource,
            epochs: config.maxEpochs, repeatTimes: repeatTimes, passes: passes, lrSchedule: schedule.isEmpty ? "constant lr \(config.optimizer.lr)" : schedule,
            lrScaling: scaling, precision: precision, testClips: config.testPipeline.numClips, testCrops: 1, testBatchPerGPU: config.test.batchSize,
            trainAnnotations: splitName(config.train), valAnnotations: splitName(config.val), testAnnotations: splitName(config.test),
            valIsTest: config.val.annFile == config.test.annFile && config.val.split == config.test.split, disagreements: disagreements)
    }
}
