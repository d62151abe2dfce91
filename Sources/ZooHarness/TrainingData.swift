import Foundation
import ZooConfig
import ZooPose
import ZooRunner

/// The samples a training run reads, where they came from, and their fingerprints (written to result.json).
public struct TrainingData {
    public var train: [PoseSample]
    public var val: [PoseSample]
    /// A 1.x config's test split, scored with its test pipeline (10 clips) after training; nil for 0.x (its validation
    /// score is the run's).
    public var test: [PoseSample]?
    public var trainSource: String
    public var valSource: String
    public var testSource: String
    public var splits: [SplitFingerprint]

    /// A 0.x config's train.pkl and val.pkl (generated first for a synthetic config).
    /// - Throws: ``RunnerError`` (code `dataMissing` when a file is not there).
    public static func load(_ config: ExperimentConfig, resolver: DataResolver, entryName: String?) throws -> TrainingData {
        let files = try resolver.annotationFiles(for: config, entryName: entryName)
        let train = try AnnotationFile.load(files.train).samples
        let val = try AnnotationFile.load(files.val).samples
        let splits = try DatasetFingerprint.trainingSplits(config: config, resolver: resolver, files: files, train: train, val: val)
        return TrainingData(train: train, val: val, test: nil, trainSource: files.train.path, valSource: files.val.path, testSource: files.val.path,
                            splits: splits)
    }

    /// A 1.x config's train, val and test splits (`train_dataloader`, `val_dataloader`, `test_dataloader`: an
    /// annotation file and a split each).
    /// - Throws: ``RunnerError`` (code `dataMissing` when a file is not there), or the reader's error naming the file and split.
    public static func load(_ config: RecognizerGCNConfig, resolver: DataResolver, entryName: String?) throws -> TrainingData {
        let loaders = [config.train, config.val, config.test]
        let files = loaders.map { resolver.url($0.annFile) }
        let missing = Set(files.filter { !FileManager.default.fileExists(atPath: $0.path) }.map(\.path)).sorted()
        guard missing.isEmpty else {
            let how = entryName.map { "`skelzoo download \($0) --data` where the zoo lists the files, or place them there" }
                ?? "place the file there or pass --data-root"
            throw RunnerError("no annotation file at \(missing.joined(separator: " and ")) (data root \(resolver.root.path))",
                              hint: "get it with \(how); for a quick run on synthetic data: skelzoo data synth --format 1.x", code: .dataMissing)
        }
        var samples: [[PoseSample]] = []
        for (loader, file) in zip(loaders, files) { samples.append(try AnnotationFile.load(file, split: loader.split).samples) }
        let sources = zip(loaders, files).map { "\($1.path) (split \($0.split))" }
        let splits = try DatasetFingerprint.splits([("train", files[0], samples[0]), ("val", files[1], samples[1]), ("test", files[2], samples[2])])
        return TrainingData(train: samples[0], val: samples[1], test: samples[2], trainSource: sources[0], valSource: sources[1], testSource: sources[2],
                            splits: splits)
    }
}
