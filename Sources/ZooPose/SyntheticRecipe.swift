import Foundation

/// How to make a synthetic dataset (`skelzoo data synth`, and the `synthetic:` section of a demo config).
public struct SyntheticRecipe: Sendable, Equatable, Codable {
    public var layout: String
    public var classes: Int
    public var trainCount: Int
    public var valCount: Int
    public var frames: Int
    public var persons: Int
    public var seed: UInt64
    /// Ratio between the most and least frequent class (1 = balanced); counts fall geometrically with the class index.
    public var imbalance: Double

    public init(layout: String, classes: Int, trainCount: Int, valCount: Int, frames: Int, persons: Int, seed: UInt64, imbalance: Double = 1) {
        self.layout = layout
        self.classes = classes
        self.trainCount = trainCount
        self.valCount = valCount
        self.frames = frames
        self.persons = persons
        self.seed = seed
        self.imbalance = imbalance
    }

    /// Bounds on what a recipe may ask for, so a typo (`--train 2000000000`) is an error, not a failed allocation.
    public enum Limits {
        public static let maxSamples = 1_000_000
        public static let maxFrames = 100_000
        public static let maxPersons = 16
        public static let maxClasses = 100_000
        /// Keypoints and scores held in memory at once, in bytes (Float32; the largest layout has 25 joints, 3 coordinates and a score).
        public static let maxBytes = 8 << 30
        static let valuesPerJointFrame = 25 * 4
    }

    /// Why this recipe exceeds ``Limits``, or nil when it fits.
    public var limitViolation: String? {
        if trainCount > Limits.maxSamples || valCount > Limits.maxSamples {
            return "at most \(Limits.maxSamples) train and \(Limits.maxSamples) val samples, asked for \(trainCount) and \(valCount)"
        }
        if frames > Limits.maxFrames { return "at most \(Limits.maxFrames) frames per sample, asked for \(frames)" }
        if persons > Limits.maxPersons { return "at most \(Limits.maxPersons) persons per sample, asked for \(persons)" }
        if classes > Limits.maxClasses { return "at most \(Limits.maxClasses) classes, asked for \(classes)" }
        var bytes = trainCount + valCount
        for factor in [frames, persons, Limits.valuesPerJointFrame, MemoryLayout<Float>.size] {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: factor)
            guard !overflow else { bytes = .max; break }
            bytes = product
        }
        if bytes > Limits.maxBytes {
            return "the samples would take about \(bytes >> 20) MiB in memory, the limit is \(Limits.maxBytes >> 20) MiB; use fewer samples, frames or persons"
        }
        return nil
    }
}
