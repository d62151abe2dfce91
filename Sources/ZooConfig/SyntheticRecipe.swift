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
}
