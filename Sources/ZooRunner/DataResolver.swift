import Foundation
import ZooConfig
import ZooIO
import ZooPose

/// Finds a config's annotation files under a data root (default `$SKELZOO_HOME`), generating synthetic data on
/// first use when the config names a recipe.
public struct DataResolver: Sendable {
    public var root: URL

    public init(root: URL) { self.root = root }

    public func url(_ annFile: String) -> URL {
        annFile.hasPrefix("/") ? URL(fileURLWithPath: annFile) : root.appending(path: annFile)
    }

    /// The train and val annotation files, generated first if the config is synthetic and they are missing.
    /// - Throws: ``RunnerError`` saying where it looked and how to get the data.
    public func annotationFiles(for config: ExperimentConfig, entryName: String?) throws -> (train: URL, val: URL) {
        let train = url(config.data.train.annFile), val = url(config.data.val.annFile)
        let missing = [train, val].filter { !FileManager.default.fileExists(atPath: $0.path) }
        guard !missing.isEmpty else { return (train, val) }
        if let recipe = config.synthetic {
            guard train.deletingLastPathComponent() == val.deletingLastPathComponent(),
                  train.lastPathComponent == "train.pkl", val.lastPathComponent == "val.pkl" else {
                throw RunnerError("\(config.source): a synthetic config's ann files must be <dir>/train.pkl and <dir>/val.pkl")
            }
            _ = try SyntheticSkeletons.write(recipe, to: train.deletingLastPathComponent(), format: .v0x) { data, url in
                try AtomicFile.write(data, to: url)
            }
            return (train, val)
        }
        let how = entryName.map { "`skelzoo download \($0) --data` where the zoo lists the files, or place them there" }
            ?? "place the files there or pass --data-root"
        throw RunnerError("no annotation file at \(missing.map(\.path).joined(separator: " and ")) (data root \(root.path))",
                          hint: "get it with \(how); for a quick run on synthetic data: skelzoo data synth --help", code: .dataMissing)
    }
}
