// The MMAction2 1.x pipeline steps' own types: the GenSkeFeat layouts and streams, FormatGCNInput's person padding,
// and the pure helpers on a 1.x pipeline (which steps are 1.x, clips per sample, MMAction2's order). The YAML form and
// the order check live in ZooConfig (`PipelineStep+OneX.swift` there).

/// The `dataset` (joint layout) that `GenSkeFeat` takes its bone pairs from (MMAction2 1.x names).
public enum SkeletonDataset: String, Sendable, Equatable, CaseIterable {
    case coco
    case nturgbd = "nturgb+d"
    case openpose

    /// Joints per skeleton in this layout.
    public var joints: Int {
        switch self {
        case .coco: 17
        case .nturgbd: 25
        case .openpose: 18
        }
    }
}

/// One stream of `GenSkeFeat`: joints, bones, and their motions.
public enum SkeletonFeature: String, Sendable, Equatable, CaseIterable {
    case joint = "j", bone = "b", jointMotion = "jm", boneMotion = "bm"
}

/// How 1.x `FormatGCNInput` fills missing persons: zeros, or (for a one-person clip) copies of person 0.
public enum PersonPadding: String, Sendable, Equatable, CaseIterable {
    case zero, loop
}

extension PipelineStep {
    /// True for the steps that exist only in MMAction2 1.x pipelines.
    public var isOneX: Bool {
        switch self {
        case .preNormalize2D, .preNormalize3D, .genSkeFeat, .uniformSampleFrames, .formatGCNClips, .packActionInputs: true
        case .paddingWithLoop, .poseDecode, .formatGCNInput, .poseNormalize, .collect, .toTensor: false
        }
    }

    /// True for a pipeline made of MMAction2 1.x steps (output (num_clips, M, T, V, C)).
    public static func isOneX(_ pipeline: [PipelineStep]) -> Bool { pipeline.contains(where: \.isOneX) }

    /// The clips per sample the pipeline yields (`UniformSampleFrames.num_clips`; 1 without it).
    public static func clipsPerSample(_ pipeline: [PipelineStep]) -> Int {
        for case .uniformSampleFrames(_, let clips, _, _) in pipeline { return clips }
        return 1
    }

    /// Rank of each step in MMAction2's 1.x order; a pipeline must be strictly increasing in it.
    public var oneXRank: Int? {
        switch self {
        case .preNormalize2D, .preNormalize3D: 0
        case .genSkeFeat: 1
        case .uniformSampleFrames: 2
        case .poseDecode: 3
        case .formatGCNClips: 4
        case .packActionInputs: 5
        case .paddingWithLoop, .formatGCNInput, .poseNormalize, .collect, .toTensor: nil
        }
    }
}
