import Foundation
import ZooIO
import ZooPose
import ZooRunner

/// `skelzoo data synth`: a synthetic skeleton dataset written as MMAction2 annotation pickles.
public enum SyntheticData {
    /// The annotation formats: 0.x (train.pkl and val.pkl) and 1.x (annotations.pkl with splits).
    public static var formats: [String] { [AnnotationFile.Format.v0x, .v1x].map(\.rawValue) }

    /// What `data synth` was asked for: ZooPose's ``SyntheticRecipe``, built here from the command's options so that the
    /// CLI names no compute module's type.
    public struct Request: Sendable, Equatable {
        let recipe: SyntheticRecipe

        public init(layout: String, classes: Int, trainCount: Int, valCount: Int, frames: Int, persons: Int, seed: UInt64, imbalance: Double) {
            recipe = SyntheticRecipe(layout: layout, classes: classes, trainCount: trainCount, valCount: valCount, frames: frames,
                                     persons: persons, seed: seed, imbalance: imbalance)
        }

        /// Why this request exceeds ``SyntheticRecipe/Limits``, or nil when it fits.
        public var limitViolation: String? { recipe.limitViolation }
    }

    /// Writes the dataset atomically into `folder`; returns the files written.
    public static func write(_ request: Request, to folder: URL, format: String) throws -> [URL] {
        try SyntheticSkeletons.write(request.recipe, to: folder, format: AnnotationFile.Format(rawValue: format) ?? .v0x) {
            try AtomicFile.write($0, to: $1)
        }
    }
}
