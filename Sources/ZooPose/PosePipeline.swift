// C channels, T frames, V joints, M persons.
//
// The MMAction2 0.x test pipelines (`mmaction/datasets/pipelines/pose_loading.py`, `formatting.py`), exactly:
// PaddingWithLoop -> PoseDecode -> FormatGCNInput -> [PoseNormalize] -> Collect -> ToTensor, yielding the
// model input of one sample as (C, T, V, M).
import ZooTensor

public struct PosePipeline: Sendable {
    public let steps: [PipelineStep]

    public init(_ steps: [PipelineStep]) { self.steps = steps }

    /// Applies the pipeline to one sample. Returns (C, T, V, M).
    public func apply(_ sample: PoseSample) -> Tensor {
        var frameIndices: [Int]?
        var decoded: (values: [Float], frames: Int)?          // (M, T, V, C') after PoseDecode + score concat
        var output: Tensor?
        let m = sample.persons, v = sample.joints, c = sample.coordinates
        let channels = c + (sample.keypointScore == nil ? 0 : 1)
        for step in steps {
            switch step {
            case .paddingWithLoop(let clipLength, _):
                // inds = arange(clip_len) % total_frames: starts at 0, loops short clips, cuts long ones.
                frameIndices = (0..<clipLength).map { $0 % sample.totalFrames }
            case .poseDecode:
                let indices = frameIndices ?? Array(0..<sample.totalFrames)
                let t = indices.count
                var values = [Float](repeating: 0, count: m * t * v * channels)
                for person in 0..<m {
                    for (frame, source) in indices.enumerated() {
                        for joint in 0..<v {
                            let target = ((person * t + frame) * v + joint) * channels
                            let from = ((person * sample.frames + source) * v + joint) * c
                            for k in 0..<c { values[target + k] = sample.keypoint[from + k] }
                            if let score = sample.keypointScore {
                                values[target + c] = score[(person * sample.frames + source) * v + joint]
                            }
                        }
                    }
                }
                decoded = (values, t)
            case .formatGCNInput(_, let numPerson):
                // (M, T, V, C) -> (C, T, V, M'), persons zero-padded at the end or truncated to the first M'.
                guard let (values, t) = decoded else { preconditionFailure("FormatGCNInput before PoseDecode") }
                var tensor = Tensor(zeros: [channels, t, v, numPerson])
                for person in 0..<min(m, numPerson) {
                    for frame in 0..<t {
                        for joint in 0..<v {
                            for k in 0..<channels {
                                tensor.storage[((k * t + frame) * v + joint) * numPerson + person] = values[((person * t + frame) * v + joint) * channels + k]
                            }
                        }
                    }
                }
                output = tensor
            case .poseNormalize(let mean, let minValue, let maxValue):
                // (x - mean) / (max - min), float32 as numpy computes it, after padding (padded zeros move too).
                guard var tensor = output else { preconditionFailure("PoseNormalize before FormatGCNInput") }
                let plane = tensor.count / tensor.shape[0]
                for k in 0..<min(tensor.shape[0], mean.count) {
                    let mu = Float(mean[k]), range = Float(maxValue[k]) - Float(minValue[k])
                    for i in k * plane..<(k + 1) * plane { tensor.storage[i] = (tensor.storage[i] - mu) / range }
                }
                output = tensor
            case .collect, .toTensor:
                break
            case .preNormalize2D, .preNormalize3D, .genSkeFeat, .uniformSampleFrames, .formatGCNClips, .packActionInputs:
                preconditionFailure("a 1.x step in a 0.x pipeline: run 1.x pipelines with ClipPipeline")
            }
        }
        guard let output else { preconditionFailure("pipeline without FormatGCNInput") }
        return output
    }

    /// Stacks samples of equal shape (C, T, V, M) into a batch (N, C, T, V, M).
    public static func collate(_ items: [Tensor]) -> Tensor {
        precondition(!items.isEmpty && items.allSatisfy { $0.shape == items[0].shape }, "collate needs equal shapes")
        var storage: [Float] = []
        storage.reserveCapacity(items.count * items[0].count)
        for item in items { storage.append(contentsOf: item.storage) }
        return Tensor(shape: [items.count] + items[0].shape, storage: storage)
    }
}
