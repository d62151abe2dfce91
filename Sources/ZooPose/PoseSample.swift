// M persons, T frames, V joints, C coordinates.
import Foundation
import ZooTorch

/// One annotation of an MMAction2 PoseDataset: a skeleton clip and its label.
public struct PoseSample: Sendable, Equatable {
    public var frameDirectory: String
    public var label: Int
    public var totalFrames: Int
    /// (M, T, V, C) float32 (x, y in pixels for 2-D; x, y, z for 3-D).
    public var keypoint: [Float]
    public var keypointShape: [Int]
    /// (M, T, V) detection scores, 2-D data only.
    public var keypointScore: [Float]?
    /// `img_shape` (height, width) in pixels, when the annotation has one; 1.x `PreNormalize2D` divides by it.
    public var imageShape: [Int]?

    public init(frameDirectory: String, label: Int, totalFrames: Int, keypoint: [Float], keypointShape: [Int], keypointScore: [Float]?,
                imageShape: [Int]? = nil) {
        self.frameDirectory = frameDirectory
        self.label = label
        self.totalFrames = totalFrames
        self.keypoint = keypoint
        self.keypointShape = keypointShape
        self.keypointScore = keypointScore
        self.imageShape = imageShape
    }

    public var persons: Int { keypointShape[0] }
    public var frames: Int { keypointShape[1] }
    public var joints: Int { keypointShape[2] }
    public var coordinates: Int { keypointShape[3] }
}

/// A bad annotation file: which file, which sample and field, what was expected.
public struct AnnotationError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
