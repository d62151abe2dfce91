// The MMAction2 1.x skeleton pipeline steps in YAML, every value that changes a result spelled out:
//
//   test_pipeline:
//     - {type: PreNormalize2D, img_shape: [1080, 1920]}          # or:
//     - {type: PreNormalize3D, zaxis: [0, 1], xaxis: [8, 4], align_spine: true, align_shoulder: true, align_center: true}
//     - {type: GenSkeFeat, dataset: coco, feats: [j]}             # dataset: coco | nturgb+d | openpose; feats ⊂ j, b, jm, bm
//     - {type: UniformSampleFrames, clip_len: 100, num_clips: 10, test_mode: true, seed: 255}
//     - {type: PoseDecode}
//     - {type: FormatGCNInput, num_person: 2, mode: zero}        # no input_format: that is the 0.x step
//     - {type: PackActionInputs}
//
// The order is MMAction2's (every 1.x skeleton config uses it); the optional steps may be left out.

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
}

extension ExperimentConfig {
    static let oneXStepNames = ["PreNormalize2D", "PreNormalize3D", "GenSkeFeat", "UniformSampleFrames", "PackActionInputs"]

    /// Rank of each step in MMAction2's 1.x order; a pipeline must be strictly increasing in it.
    static func oneXRank(_ step: PipelineStep) -> Int? {
        switch step {
        case .preNormalize2D, .preNormalize3D: 0
        case .genSkeFeat: 1
        case .uniformSampleFrames: 2
        case .poseDecode: 3
        case .formatGCNClips: 4
        case .packActionInputs: 5
        case .paddingWithLoop, .formatGCNInput, .poseNormalize, .collect, .toTensor: nil
        }
    }

    static func checkOneXPipeline(_ steps: [PipelineStep], _ value: YAMLValue) throws(ConfigError) -> [PipelineStep] {
        var last = -1
        for step in steps {
            guard let rank = oneXRank(step) else {
                throw value.error("a 1.x pipeline (PreNormalize2D/3D, GenSkeFeat, UniformSampleFrames, FormatGCNInput without input_format, "
                                  + "PackActionInputs) cannot hold 0.x steps (PaddingWithLoop, FormatGCNInput with input_format, "
                                  + "PoseNormalize, Collect, ToTensor)")
            }
            guard rank > last else {
                throw value.error("1.x pipeline steps out of order or repeated (expected [PreNormalize2D|PreNormalize3D] [GenSkeFeat] "
                                  + "[UniformSampleFrames] PoseDecode FormatGCNInput [PackActionInputs])")
            }
            last = rank
        }
        guard steps.contains(.poseDecode) else { throw value.error("the pipeline needs PoseDecode") }
        guard steps.contains(where: { if case .formatGCNClips = $0 { true } else { false } }) else {
            throw value.error("the pipeline needs FormatGCNInput after PoseDecode")
        }
        return steps
    }

    static func readFormatGCNClips(_ step: YAMLMap) throws(ConfigError) -> PipelineStep {
        let modeValue = try step.value("mode")
        guard let mode = PersonPadding(rawValue: try modeValue.string()) else { throw modeValue.error("expected 'zero' or 'loop'") }
        return .formatGCNClips(numPerson: try positive(step.value("num_person"), max: ConfigLimits.maxPersons), mode: mode)
    }

    static func readOneXStep(_ name: String, _ step: YAMLMap) throws(ConfigError) -> PipelineStep {
        switch name {
        case "PreNormalize2D":
            let value = try step.value("img_shape")
            let shape = try value.array { v throws(ConfigError) in try positive(v, max: ConfigLimits.maxImageSide) }
            guard shape.count == 2 else { throw value.error("expected [height, width]") }
            return .preNormalize2D(imageShape: shape)
        case "PreNormalize3D":
            func joints(_ key: String) throws(ConfigError) -> [Int] {
                let value = try step.value(key)
                let pair = try value.array { v throws(ConfigError) in try nonNegative(v) }
                guard pair.count == 2 else { throw value.error("expected two joint indices [from, to]") }
                return pair
            }
            return .preNormalize3D(zAxis: try joints("zaxis"), xAxis: try joints("xaxis"), alignSpine: try step.bool("align_spine"),
                                   alignShoulder: try step.bool("align_shoulder"), alignCenter: try step.bool("align_center"))
        case "GenSkeFeat":
            let datasetValue = try step.value("dataset")
            guard let dataset = SkeletonDataset(rawValue: try datasetValue.string()) else {
                throw datasetValue.error("expected one of: \(SkeletonDataset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let featsValue = try step.value("feats")
            let feats = try featsValue.array { v throws(ConfigError) -> SkeletonFeature in
                guard let feature = SkeletonFeature(rawValue: try v.string()) else { throw v.error("expected one of: j, b, jm, bm") }
                return feature
            }
            guard !feats.isEmpty, Set(feats).count == feats.count else { throw featsValue.error("expected distinct streams from j, b, jm, bm") }
            if let axis = step.optional("axis") {
                guard try axis.int() == -1 else { throw axis.error("only axis: -1 (the channel axis) is supported") }
            }
            return .genSkeFeat(dataset: dataset, feats: feats)
        case "UniformSampleFrames":
            let seedValue = try step.value("seed")
            let seed = try seedValue.int()
            // numpy's legacy seeding takes 0 <= seed < 2^32.
            guard seed >= 0, seed <= Int(UInt32.max) else { throw seedValue.error("expected a seed in 0...\(UInt32.max)") }
            return .uniformSampleFrames(clipLength: try positive(step.value("clip_len"), max: ConfigLimits.maxClipLength),
                                        numClips: try positive(step.value("num_clips"), max: ConfigLimits.maxClips),
                                        testMode: try step.bool("test_mode"), seed: seed)
        default:  // PackActionInputs
            return .packActionInputs
        }
    }
}
