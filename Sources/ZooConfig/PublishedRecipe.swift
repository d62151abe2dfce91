// The published training recipe of a zoo entry as data: how many GPUs, what batch on each, which launcher, how many
// epochs, what lr schedule, which precision, which test protocol and which annotation files. Read from the entry's
// metadata (metafile `Metadata`, plus SkelZoo's `Recipe` block for what the metafile does not say) and from its config,
// which is authoritative for everything it sets. Where two sources disagree, or say the same thing in different units
// (the BABEL metafile's Batch Size 128 is the total 8 x 16, the NTU entries' 16 is per GPU), the recipe says so.
import Foundation

/// What the zoo file states beyond the metafile (`Recipe:` in an entry).
public struct RecipeFacts: Sendable, Equatable, Codable {
    /// GPUs of the published run, when the zoo states it outside `Training Resources`.
    public var gpus: Int?
    /// `slurm`, `pytorch` (tools/dist_train.sh), or `none` (one process).
    public var launcher: String?
    /// Where the launcher is known from.
    public var launcherSource: String?
    /// `fp32` or `fp16`.
    public var precision: String?

    public init(gpus: Int? = nil, launcher: String? = nil, launcherSource: String? = nil, precision: String? = nil) {
        self.gpus = gpus
        self.launcher = launcher
        self.launcherSource = launcherSource
        self.precision = precision
    }
}

/// An entry's published recipe, resolved from its metadata and config.
public struct PublishedRecipe: Sendable, Equatable, Codable {
    /// GPUs of the published run; nil when no source states it.
    public var gpus: Int?
    /// Where ``gpus`` comes from.
    public var gpusSource: String
    /// `videos_per_gpu` of the config.
    public var perGPUBatch: Int
    /// gpus x per-GPU batch, when gpus is known.
    public var totalBatch: Int?
    public var launcher: String
    public var launcherSource: String?
    /// `total_epochs` of the config.
    public var epochs: Int
    /// `RepeatDataset(times=...)` around the training set (1 when none).
    public var repeatTimes: Int
    /// Passes over the training annotations: epochs x repeat.
    public var passes: Int
    public var lrSchedule: String
    public var lrScaling: String
    public var precision: String
    public var testClips: Int
    public var testCrops: Int
    public var testBatchPerGPU: Int
    public var trainAnnotations: String
    public var valAnnotations: String
    public var testAnnotations: String
    /// The validation split is the test split (as in every 0.x ST-GCN config).
    public var valIsTest: Bool
    /// Where the sources disagree or use different units, in words; empty when they agree.
    public var disagreements: [String]

    /// The GPU count `reproduce --mode train` and `train ENTRY` use when no `--gpus` is given.
    public var defaultGPUs: Int { gpus ?? 1 }

    /// Resolves the recipe of `entry` whose config is `config`.
    public static func resolve(entry: ZooEntry, config: ExperimentConfig) -> PublishedRecipe {
        var disagreements: [String] = []
        let facts = entry.recipe ?? RecipeFacts()
        let perGPU = config.data.videosPerGPU

        // GPUs: the zoo's Recipe block, else the metafile's `Training Resources: N gpus`.
        let resources = entry.metadata("Training Resources")
        let resourceGPUs = resources.flatMap(Self.gpuCount)
        let gpus = facts.gpus ?? resourceGPUs
        let gpusSource: String
        if let stated = facts.gpus {
            gpusSource = "zoo Recipe"
            if let resourceGPUs, resourceGPUs != stated {
                disagreements.append("the metafile's Training Resources says \(resourceGPUs) GPU(s), the zoo's Recipe says \(stated)")
            }
        } else if resourceGPUs != nil {
            gpusSource = "metafile Training Resources (\(resources ?? ""))"
        } else {
            gpusSource = "not published" + (resources.map { " (Training Resources: \($0))" } ?? "")
        }

        // Batch: the config's videos_per_gpu is per GPU; the metafile's Batch Size is per GPU for some entries, total for others.
        if let text = entry.metadata("Batch Size") {
            if let stated = Int(text) {
                if stated == perGPU {
                    // Agrees: per GPU.
                } else if let gpus, stated == gpus * perGPU {
                    disagreements.append("the metafile's Batch Size \(stated) is the total (\(gpus) GPUs x \(perGPU)); the config's videos_per_gpu is \(perGPU)")
                } else {
                    disagreements.append("the metafile's Batch Size \(stated) is neither the config's videos_per_gpu \(perGPU) nor a total of \(gpus.map { "\($0) x \(perGPU) = \($0 * perGPU)" } ?? "unknown GPUs x \(perGPU)")")
                }
            } else {
                disagreements.append("the metafile's Batch Size '\(text)' is not a number")
            }
        }

        // Epochs: the config's total_epochs, each a pass over the RepeatDataset-wrapped training set.
        let repeatTimes = config.data.train.repeatTimes
        let passes = config.totalEpochs * repeatTimes
        if let text = entry.metadata("Epochs") {
            if let stated = Int(text) {
                if stated == config.totalEpochs {
                    // Agrees.
                } else if stated == passes {
                    disagreements.append("the metafile's Epochs \(stated) counts passes over the data: the config runs \(config.totalEpochs) epochs of the training set repeated \(repeatTimes) times (RepeatDataset)")
                } else {
                    disagreements.append("the metafile's Epochs \(stated) is neither the config's total_epochs \(config.totalEpochs) nor its \(passes) passes")
                }
            } else {
                disagreements.append("the metafile's Epochs '\(text)' is not a number")
            }
        }

        // Annotation files: the config's, compared by file name with the metafile's and the download URLs.
        func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
        for (key, configured) in [("Training Annotations", config.data.train.annFile), ("Validation Annotations", config.data.val.annFile)] {
            if let stated = entry.metadata(key), fileName(stated) != fileName(configured) {
                disagreements.append("the metafile's \(key) is \(stated), the config reads \(configured)")
            }
        }
        let configuredFiles = Set([config.data.train.annFile, config.data.val.annFile, config.data.test.annFile].map(fileName))
        for url in entry.dataURLs where !configuredFiles.contains(fileName(url)) {
            disagreements.append("the zoo downloads \(fileName(url)), which the config does not read")
        }

        let precision = facts.precision ?? "fp32"
        if precision != "fp32" {
            disagreements.append("the zoo says \(precision), but the config sets no fp16 (SkelZoo trains in fp32)")
        }

        let schedule = config.lrSchedule
        let lrSchedule = "step by epoch: lr \(config.optimizer.lr)" + (schedule.steps.isEmpty ? ", constant"
            : ", x\(schedule.gamma) at epoch\(schedule.steps.count > 1 ? "s" : "") \(schedule.steps.map(String.init).joined(separator: ", "))")
        let clips = config.testPipeline.reduce(1) { clips, step in
            if case .paddingWithLoop(_, let numClips) = step { return numClips }
            return clips
        }
        let launcher = facts.launcher ?? (gpus == 1 ? "not published (on 1 GPU it does not change the arithmetic)" : "not published")
        return PublishedRecipe(
            gpus: gpus, gpusSource: gpusSource, perGPUBatch: perGPU, totalBatch: gpus.map { $0 * perGPU },
            launcher: launcher, launcherSource: facts.launcherSource,
            epochs: config.totalEpochs, repeatTimes: repeatTimes, passes: passes, lrSchedule: lrSchedule,
            lrScaling: "none: the config fixes lr \(config.optimizer.lr) whatever the total batch (0.x configs have no auto_scale_lr)",
            precision: precision, testClips: clips, testCrops: 1, testBatchPerGPU: config.data.testVideosPerGPU,
            trainAnnotations: config.data.train.annFile, valAnnotations: config.data.val.annFile, testAnnotations: config.data.test.annFile,
            valIsTest: config.data.val.annFile == config.data.test.annFile, disagreements: disagreements)
    }

    /// `2 gpus`, `1 gpu`, `8 GPUs` -> the count; anything else (e.g. `2 CPU cores`) -> nil.
    static func gpuCount(_ text: String) -> Int? {
        let words = text.lowercased().split(separator: " ")
        guard words.count == 2, let count = Int(words[0]), count >= 1, words[1] == "gpu" || words[1] == "gpus" else { return nil }
        return count
    }

    /// The recipe in lines for `skelzoo show`.
    public var lines: [String] {
        var lines: [String] = []
        let gpuText = gpus.map { "\($0) GPU\($0 == 1 ? "" : "s") x \(perGPUBatch) per GPU = total batch \($0 * perGPUBatch)" }
            ?? "GPUs not published; \(perGPUBatch) per GPU"
        lines.append("GPUs: \(gpuText)  [\(gpusSource)]")
        lines.append("BN batch: \(perGPUBatch) samples\(gpus.map { $0 > 1 ? " per GPU (DDP, no SyncBN: each GPU normalises its own batch)" : "" } ?? " per GPU")")
        lines.append("launcher: \(launcher)\(launcherSource.map { "  [\($0)]" } ?? "")")
        lines.append("epochs: \(epochs)\(repeatTimes > 1 ? " x RepeatDataset \(repeatTimes) = \(passes) passes" : "")")
        lines.append("lr: \(lrSchedule); scaling: \(lrScaling)")
        lines.append("precision: \(precision)")
        lines.append("test: \(testClips) clip\(testClips == 1 ? "" : "s"), \(testCrops) crop, \(testBatchPerGPU) per GPU")
        lines.append("annotations: train \(trainAnnotations), val \(valAnnotations), test \(testAnnotations)\(valIsTest ? " (val and test are the same split)" : "")")
        for disagreement in disagreements { lines.append("sources disagree: \(disagreement)") }
        return lines
    }
}
