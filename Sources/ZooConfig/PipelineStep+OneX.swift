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

import ZooPose

extension ExperimentConfig {
    static let oneXStepNames = ["PreNormalize2D", "PreNormalize3D", "GenSkeFeat", "UniformSampleFrames", "PackActionInputs"]

    static func checkOneXPipeline(_ steps: [PipelineStep], _ value: YAMLValue) throws(ConfigError) -> [PipelineStep] {
        var last = -1
        for step in steps {
            guard let rank = step.oneXRank else {
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
