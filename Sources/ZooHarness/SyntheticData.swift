import Foundation
import ZooIO
import ZooPose
import ZooRunner

/// `skelzoo data synth`: a synthetic skeleton dataset written as MMAction2 annotation pickles.
public enum SyntheticData {
    /// The annotation formats: 0.x (train.pkl and val.pkl) and 1.x (annotations.pkl with splits).
    public static var formats: [String] { [AnnotationFile.Format.v0x, .v1x].map(\.rawValue) }

    /// What `data synth` was asked for, as its options give it; ZooPose's ``SyntheticRecipe`` is built from it here, so the
    /// CLI needs no compute module.
    public struct Request: Sendable, Equatable {
        public var layout: String
        public var classes: Int
        public var trainCount: Int
        public var valCount: Int
        public var frames: Int
        public var persons: Int
        public var seed: UInt64
        /// Ratio between the most and least frequent class (1 = balanced).
        public var imbalance: Double

        public init(layout: String, classes: Int, trainCount: Int, valCount: Int, frames: Int, persons: Int, seed: UInt64, imbalance: Double) {
            self.layout = layout
            self.classes = classes
            self.trainCount = trainCount
            self.valCount = valCount
            self.frames = frames
            self.persons = persons
            self.seed = seed
            self.imbalance = imbalance
        }

        /// Why this request exceeds ``SyntheticRecipe/Limits``, or nil when it fits.
        public var limitViolation: String? { recipe.limitViolation }

        var recipe: SyntheticRecipe {
            SyntheticRecipe(layout: layout, classes: classes, trainCount: trainCount, valCount: valCount, frames: frames,
                            persons: persons, seed: seed, imbalance: imbalance)
        }
    }

    /// Writes the dataset atomically into `folder`; returns the files written.
    public static func write(_ request: Request, to folder: URL, format: String) throws -> [URL] {
        try SyntheticSkeletons.write(request.recipe, to: folder, format: AnnotationFile.Format(rawValue: format) ?? .v0x) {
            try AtomicFile.write($0, to: $1)
        }
    }
}
