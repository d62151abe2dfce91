// N clips, M persons, T frames, V joints, C channels.
//
// The MMAction2 1.x skeleton test pipeline (`mmaction/datasets/transforms/pose_transforms.py`, `formatting.py`),
// exactly: [PreNormalize2D | PreNormalize3D] -> [GenSkeFeat] -> [UniformSampleFrames] -> PoseDecode ->
// FormatGCNInput(num_person) -> [PackActionInputs], yielding one sample's model input as (num_clips, M, T, V, C).
//
// Exactness: every value is computed in the dtype numpy computes it in (float32, or float64 once
// PreNormalize3D's rotations have promoted the keypoints), in numpy's operation order, with SkelZoo's portable
// acos/sin/cos; the transforms themselves are in `SkeletonTransforms.swift`.
import ZooTensor

/// Runs a 1.x pipeline on annotation samples.
public struct ClipPipeline: Sendable {
    public let steps: [PipelineStep]

    /// - Precondition: `steps` is a validated 1.x pipeline (``PipelineStep/isOneX(_:)``; ZooConfig checks the order).
    public init(_ steps: [PipelineStep]) {
        precondition(PipelineStep.isOneX(steps), "ClipPipeline runs MMAction2 1.x pipelines")
        self.steps = steps
    }

    /// Clips per sample (`UniformSampleFrames.num_clips`, 1 without it).
    public var clipsPerSample: Int { PipelineStep.clipsPerSample(steps) }

    /// Applies the pipeline to one sample.
    /// - Returns: (num_clips, M, T, V, C) Float32, M = FormatGCNInput's num_person.
    /// - Throws: ``AnnotationError`` naming the sample and what MMAction2 would have rejected (e.g. three persons
    ///   in PreNormalize3D, a score array on nturgb+d data, joints that do not match the layout).
    public func apply(_ sample: PoseSample, file: String = "") throws -> Tensor {
        var noTrainingState: NumpyRandomState?
        return try apply(sample, file: file, random: &noTrainingState)
    }

    /// Applies a training pipeline to one sample. A train-mode `UniformSampleFrames` (MMAction2 1.2.0 `_get_train_clips`)
    /// draws with numpy's legacy algorithms (`randint`, `choice(replace=False)`) from a `RandomState` seeded with the first
    /// 32 bits of `draws`.
    ///
    /// Stated difference from MMAction2: there the draws come from numpy's global `RandomState`, one stream per dataloader
    /// worker, consumed in whatever order the workers take samples. SkelZoo keys each sample's draws by the caller's
    /// `draws` (the trainer's: seed, epoch, dataset index), so a run's clips do not depend on threads, workers, or where
    /// it was killed and resumed. The distribution of the sampled frames is MMAction2's; the particular draws are not.
    /// - Returns: (num_clips, M, T, V, C) Float32.
    /// - Throws: ``AnnotationError`` as ``apply(_:file:)``.
    public func applyTraining(_ sample: PoseSample, file: String, draws: CounterRNG) throws -> Tensor {
        var random: NumpyRandomState? = NumpyRandomState(seed: UInt32(truncatingIfNeeded: draws.bits(0)))
        return try apply(sample, file: file, random: &random)
    }

    /// Applies the pipeline to one sample; a train-mode `UniformSampleFrames` draws from (and advances) `random`.
    /// - Returns: (num_clips, M, T, V, C) Float32.
    /// - Throws: ``AnnotationError``, also when a train-mode step finds no `random`.
    public func apply(_ sample: PoseSample, file: String, random: inout NumpyRandomState?) throws -> Tensor {
        var clip = try SkeletonClip(sample, file: file)
        var output: Tensor?
        for step in steps {
            switch step {
            case .preNormalize2D(let imageShape):
                clip.preNormalize2D(imageShape: sample.imageShape ?? imageShape)
            case .preNormalize3D(let zAxis, let xAxis, let alignSpine, let alignShoulder, let alignCenter):
                try clip.preNormalize3D(zAxis: zAxis, xAxis: xAxis, alignSpine: alignSpine, alignShoulder: alignShoulder, alignCenter: alignCenter)
            case .genSkeFeat(let dataset, let feats):
                try clip.genSkeFeat(dataset: dataset, feats: feats)
            case .uniformSampleFrames(let clipLength, let numClips, let testMode, let seed):
                try clip.uniformSampleFrames(clipLength: clipLength, numClips: numClips, testMode: testMode, seed: seed, random: &random)
            case .poseDecode:
                clip.poseDecode()
            case .formatGCNClips(let numPerson, let mode):
                output = try clip.formatGCNInput(numPerson: numPerson, mode: mode)
            case .packActionInputs:
                break
            case .paddingWithLoop, .formatGCNInput, .poseNormalize, .collect, .toTensor:
                preconditionFailure("a 0.x step in a 1.x pipeline (ZooConfig rejects these)")
            }
        }
        guard let output else { preconditionFailure("1.x pipeline without FormatGCNInput (ZooConfig requires it)") }
        return output
    }
}

/// One sample on its way through the 1.x transforms: the keys of MMAction2's `results` dict that they use.
struct SkeletonClip {
    /// `keypoint`, (M, T, V, C). Held in Double; while `isFloat64` is false every value is a float32 and every
    /// operation is rounded to float32, as numpy computes on a float32 array.
    var values: [Double]
    var persons: Int, frames: Int, joints: Int, channels: Int
    var isFloat64 = false
    /// `keypoint_score`, (M, T, V) float32, until GenSkeFeat or FormatGCNInput merges it as a channel.
    var score: [Double]?
    var totalFrames: Int
    /// `frame_inds` from UniformSampleFrames (all clips, concatenated).
    var frameIndices: [Int]?
    var numClips = 1
    let name: String
    let file: String

    init(_ sample: PoseSample, file: String) throws {
        persons = sample.persons
        frames = sample.frames
        joints = sample.joints
        channels = sample.coordinates
        name = sample.frameDirectory
        self.file = file
        guard sample.keypoint.count == persons * frames * joints * channels else {
            throw AnnotationError(file: file, "sample '\(sample.frameDirectory)': 'keypoint' holds \(sample.keypoint.count) values, "
                                  + "its shape \(sample.keypointShape) needs \(persons * frames * joints * channels)")
        }
        values = sample.keypoint.map(Double.init)
        score = sample.keypointScore.map { $0.map(Double.init) }
        totalFrames = sample.totalFrames
    }

    func fail(_ message: String) -> AnnotationError { AnnotationError(file: file, "sample '\(name)': \(message)") }

    /// Rounds to the array's dtype: float32 arrays store float32 results.
    @inline(__always) func stored(_ value: Double) -> Double { isFloat64 ? value : Double(Float(value)) }

    @inline(__always) func index(_ m: Int, _ t: Int, _ v: Int, _ c: Int) -> Int { ((m * frames + t) * joints + v) * channels + c }
}
