// The two sides of a retrain's recipe comparison (``RecipeComparison`` in ZooReport): what the published run did,
// from the zoo entry and its config (``PublishedRecipe``) and the reference run's data files where the zoo records
// them; and what a recorded run did, from its registry row and the config it ran.
import Foundation
import ZooConfig
import ZooRegistry
import ZooReport

public enum RecipeSides {
    /// The published run's recipe. Data files are known only for entries whose reference run records them.
    public static func published(_ entry: ZooEntry, config: ExperimentConfig) -> RecipeSide {
        published(entry, config: .mmaction0x(config))
    }

    /// The published side of an entry of either release.
    public static func published(_ entry: ZooEntry, config: EntryConfig) -> RecipeSide {
        let recipe = PublishedRecipe.resolve(entry: entry, config: config)
        return RecipeSide(gpus: recipe.gpus, perGPUBatch: recipe.perGPUBatch, epochs: recipe.epochs, repeatTimes: recipe.repeatTimes,
                          precision: recipe.precision, testClips: recipe.testClips, dataFiles: entry.reference?.dataSHA256 ?? [:])
    }

    /// What a recorded retrain did. SkelZoo trains in fp32 and scores a retrain with the config's validation pipeline;
    /// epochs are the config's when the run's config hash is this config's (unknown otherwise).
    public static func run(_ run: Run, splits: [RunSplit], config: ExperimentConfig?, configHash: String?) -> RecipeSide {
        let sameConfig = config != nil && configHash != nil && run.configHash == configHash
        let clips = config?.valPipeline.reduce(1) { clips, step in
            if case .paddingWithLoop(_, let numClips) = step { return numClips }
            return clips
        }
        return RecipeSide(gpus: run.gpus, perGPUBatch: run.perGPUBatch ?? (sameConfig ? config?.data.videosPerGPU : nil),
                          epochs: sameConfig ? config?.totalEpochs : nil, repeatTimes: sameConfig ? config?.data.train.repeatTimes : nil,
                          precision: "fp32", testClips: sameConfig ? clips : nil,
                          dataFiles: Dictionary(splits.map { ($0.split, $0.fileSHA256) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Warnings for a run's data against the published run's: each split whose annotation file differs by sha256.
    public static func dataWarnings(run: [String: String], published: [String: String]) -> [String] {
        ["train", "val", "test"].compactMap { split in
            guard let here = run[split], let there = published[split], here != there else { return nil }
            return "the \(split) annotation file differs from the one the published run used (sha256 \(here.prefix(12))… here, \(there.prefix(12))… in the zoo's reference run)"
        }
    }
}
