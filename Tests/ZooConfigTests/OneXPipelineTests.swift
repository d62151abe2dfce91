import Foundation
import Testing
@testable import ZooConfig
import ZooPose

/// The MMAction2 1.x pipeline steps in YAML: every value spelled out, MMAction2's order, no 0.x steps mixed in.
@Suite struct OneXPipelineTests {
    static let test2D = """
        - {type: PreNormalize2D, img_shape: [1080, 1920]}
        - {type: GenSkeFeat, dataset: coco, feats: [j]}
        - {type: UniformSampleFrames, clip_len: 100, num_clips: 10, test_mode: true, seed: 255}
        - {type: PoseDecode}
        - {type: FormatGCNInput, num_person: 2, mode: zero}
        - {type: PackActionInputs}
        """

    static func pipeline(_ text: String) throws(ConfigError) -> [PipelineStep] {
        try ExperimentConfig.readSteps(YAMLValue.parse(text, file: "p.yml"))
    }

    @Test func aZeroXConfigRefusesOneXSteps() {
        #expect { try ExperimentConfig.readPipeline(YAMLValue.parse(Self.test2D, file: "p.yml")) } throws: { error in
            "\(error)".contains("a SkeletonGCN (MMAction2 0.x) config needs a 0.x pipeline")
        }
    }

    @Test func readsTheTestPipelineOfTheSTGCNConfigs() throws {
        let steps = try Self.pipeline(Self.test2D)
        #expect(steps == [.preNormalize2D(imageShape: [1080, 1920]), .genSkeFeat(dataset: .coco, feats: [.joint]),
                          .uniformSampleFrames(clipLength: 100, numClips: 10, testMode: true, seed: 255), .poseDecode,
                          .formatGCNClips(numPerson: 2, mode: .zero), .packActionInputs])
        #expect(PipelineStep.isOneX(steps) && PipelineStep.clipsPerSample(steps) == 10)
        let threeD = try Self.pipeline("""
            - {type: PreNormalize3D, zaxis: [0, 1], xaxis: [8, 4], align_spine: true, align_shoulder: true, align_center: true}
            - {type: GenSkeFeat, dataset: nturgb+d, feats: [b, bm], axis: -1}
            - {type: UniformSampleFrames, clip_len: 100, num_clips: 1, test_mode: false, seed: 255}
            - {type: PoseDecode}
            - {type: FormatGCNInput, num_person: 2, mode: loop}
            """)
        #expect(threeD[0] == .preNormalize3D(zAxis: [0, 1], xAxis: [8, 4], alignSpine: true, alignShoulder: true, alignCenter: true))
        #expect(threeD[1] == .genSkeFeat(dataset: .nturgbd, feats: [.bone, .boneMotion]))
        #expect(threeD[4] == .formatGCNClips(numPerson: 2, mode: .loop))
    }

    @Test func theZeroXFormatGCNInputIsUnchanged() throws {
        let steps = try ExperimentConfig.readPipeline(YAMLValue.parse("""
            - {type: PaddingWithLoop, clip_len: 300, num_clips: 1}
            - {type: PoseDecode}
            - {type: FormatGCNInput, input_format: NCTVM, num_person: 2}
            """, file: "p.yml"))
        #expect(steps == [.paddingWithLoop(clipLength: 300, numClips: 1), .poseDecode, .formatGCNInput(inputFormat: "NCTVM", numPerson: 2)])
        #expect(!PipelineStep.isOneX(steps))
    }

    @Test(arguments: [
        ("feats: [j]", "feats: [x]", "expected one of: j, b, jm, bm"),
        ("feats: [j]", "feats: [j, j]", "expected distinct streams"),
        ("dataset: coco", "dataset: kinetics", "expected one of: coco, nturgb+d, openpose"),
        ("mode: zero", "mode: repeat", "expected 'zero' or 'loop'"),
        ("seed: 255", "seed: -1", "expected a seed in 0...4294967295"),
        ("img_shape: [1080, 1920]", "img_shape: [1080]", "expected [height, width]"),
        (", seed: 255", "", "missing key 'seed'"),
        ("num_person: 2, ", "", "missing key 'num_person'"),
        ("{type: PoseDecode}", "{type: PoseDecode, keys: [x]}", "unknown key"),
        ("{type: PackActionInputs}", "{type: ToTensor, keys: [keypoint]}", "cannot hold 0.x steps"),
        ("- {type: PoseDecode}\n", "", "the pipeline needs PoseDecode"),
    ])
    func badStepsAreNamed(_ original: String, _ replacement: String, _ message: String) {
        let text = Self.test2D.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.test2D)
        #expect { try Self.pipeline(text) } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func outOfOrderStepsAreRejected() {
        let swapped = """
            - {type: GenSkeFeat, dataset: coco, feats: [j]}
            - {type: PreNormalize2D, img_shape: [1080, 1920]}
            - {type: PoseDecode}
            - {type: FormatGCNInput, num_person: 2, mode: zero}
            """
        #expect { try Self.pipeline(swapped) } throws: { error in "\(error)".contains("out of order or repeated") }
    }
}
