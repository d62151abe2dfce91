import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner

/// `skelzoo data synth`: a synthetic skeleton dataset written as MMAction2 annotation pickles.
public enum SyntheticData {
    /// The annotation formats: 0.x (train.pkl and val.pkl) and 1.x (annotations.pkl with splits).
    public static var formats: [String] { [AnnotationFile.Format.v0x, .v1x].map(\.rawValue) }

    /// Writes the dataset atomically into `folder`; returns the files written.
    public static func write(_ recipe: SyntheticRecipe, to folder: URL, format: String) throws -> [URL] {
        try SyntheticSkeletons.write(recipe, to: folder, format: AnnotationFile.Format(rawValue: format) ?? .v0x) {
            try AtomicFile.write($0, to: $1)
        }
    }
}
