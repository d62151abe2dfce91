// The transforms of an MMAction2 pose pipeline as plain values. ZooConfig reads them from YAML (and checks their
// order); PosePipeline and ClipPipeline run them. Nothing here knows YAML.

/// One transform of an MMAction2 pose pipeline, with every parameter.
///
/// 0.x steps: `paddingWithLoop` ... `toTensor`; 1.x steps (see `PipelineStep+OneX.swift`): `preNormalize2D` ...
/// `packActionInputs`. `poseDecode` is both. A pipeline is one or the other, never a mix.
public enum PipelineStep: Sendable, Equatable {
    case paddingWithLoop(clipLength: Int, numClips: Int)
    case poseDecode
    case formatGCNInput(inputFormat: String, numPerson: Int)
    case poseNormalize(mean: [Double], minValue: [Double], maxValue: [Double])
    case collect(keys: [String], metaKeys: [String])
    case toTensor(keys: [String])
    // MMAction2 1.x (`mmaction/datasets/transforms/pose_transforms.py`, `formatting.py`).
    /// `PreNormalize2D(img_shape=(h, w))`: `imageShape` is the fallback when a sample has no `img_shape`.
    case preNormalize2D(imageShape: [Int])
    case preNormalize3D(zAxis: [Int], xAxis: [Int], alignSpine: Bool, alignShoulder: Bool, alignCenter: Bool)
    /// `GenSkeFeat(dataset, feats, axis=-1)`: `feats` from j, b, jm, bm, concatenated on the channel axis.
    case genSkeFeat(dataset: SkeletonDataset, feats: [SkeletonFeature])
    case uniformSampleFrames(clipLength: Int, numClips: Int, testMode: Bool, seed: Int)
    /// 1.x `FormatGCNInput(num_person, mode)`: output (num_clips, M, T, V, C).
    case formatGCNClips(numPerson: Int, mode: PersonPadding)
    case packActionInputs
}
