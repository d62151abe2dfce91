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

    /// Samples per class for `total` samples: proportional to imbalance^(-c/(C-1)), every class at least 1.
    public func classCounts(total: Int) -> [Int] {
        let weights = (0..<classes).map { classes == 1 ? 1.0 : pow(imbalance, -Double($0) / Double(classes - 1)) }
        let sum = weights.reduce(0, +)
        var counts = weights.map { max(1, Int((Double(total) * $0 / sum).rounded(.down))) }
        var index = 0
        while counts.reduce(0, +) < total { counts[index % classes] += 1; index += 1 }
        while counts.reduce(0, +) > total, let largest = counts.indices.max(by: { counts[$0] < counts[$1] }) { counts[largest] -= 1 }
        return counts
    }
}
