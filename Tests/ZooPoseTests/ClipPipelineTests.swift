import Foundation
import Testing
import ZooTensor
import ZooTestSupport
@testable import ZooPose

/// The MMAction2 1.x test pipeline against what MMAction2 1.2.0 itself produced (../shared/fixtures/mmaction1x).
@Suite struct ClipPipelineTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var directory: String
        var steps: [PipelineStep]
        var testDescription: String { directory }
    }

    /// The three configs' test pipelines (`configs/skeleton/.../*.py` of the 1.2.0 wheel).
    static func steps(normalize: PipelineStep, dataset: SkeletonDataset, feats: [SkeletonFeature]) -> [PipelineStep] {
        [normalize, .genSkeFeat(dataset: dataset, feats: feats), .uniformSampleFrames(clipLength: 100, numClips: 10, testMode: true, seed: 255),
         .poseDecode, .formatGCNClips(numPerson: 2, mode: .zero), .packActionInputs]
    }

    static let variants = [
        Variant(directory: "stgcn_j_ntu60_2d", steps: steps(normalize: .preNormalize2D(imageShape: [1080, 1920]), dataset: .coco, feats: [.joint])),
        Variant(directory: "stgcnpp_j_ntu60_3d", steps: steps(
            normalize: .preNormalize3D(zAxis: [0, 1], xAxis: [8, 4], alignSpine: true, alignShoulder: true, alignCenter: true),
            dataset: .nturgbd, feats: [.joint])),
        Variant(directory: "agcn_b_ntu60_2d", steps: steps(normalize: .preNormalize2D(imageShape: [1080, 1920]), dataset: .coco, feats: [.bone])),
    ]

    static func validation(_ directory: String) throws -> [PoseSample] {
        try AnnotationFile.load(Fixtures.url("mmaction1x/\(directory)/ann.pkl"), split: "xsub_val").samples
    }

    /// Samples 0 and 1 of each variant cover: 3 persons cut to 2 with 64 frames looped (2-D joint, sample 0);
    /// 23 frames (2-D, both); 250 frames, one draw per segment (3-D, sample 0); a 23-frame 3-D clip whose last
    /// 9 frames are all zero, trimmed to 14 and rotated (3-D, sample 1); bones with their averaged score (2s-AGCN).
    ///
    /// Exact: every value equals MMAction2's. The 2-D path is float32 arithmetic in numpy's order, so it is exact
    /// by construction; the 3-D path runs its rotations in float64 with numpy's BLAS and einsum orders and portable
    /// acos/sin/cos (a double ulp or two from numpy's), and is exact after the cast to float32 (measured).
    @Test(arguments: variants, [0, 1])
    func pipelineOutputEqualsMMAction2(_ variant: Variant, _ index: Int) throws {
        let sample = try Self.validation(variant.directory)[index]
        let expected = try FixtureTensor.load("mmaction1x/\(variant.directory)/pipeline/inputs_\(index)")
        let output = try ClipPipeline(variant.steps).apply(sample)
        #expect(output.shape == expected.shape)
        #expect(output.shape == [10, 2, 100, sample.joints, 3])
        expectClose(output.storage, expected.floats, absolute: 0, relative: 0, "\(variant.directory) sample \(index)")
    }

    @Test func trailingZeroFramesAreTrimmedBeforeSampling() throws {
        let samples = try Self.validation("stgcnpp_j_ntu60_3d")
        let sample = samples[1]
        #expect(sample.totalFrames == 23 && sample.persons == 2)
        let steps = Self.variants[1].steps
        // Spine alignment alone: the main person's first-frame spine-mid (joint 1) is the origin, the hip on −z.
        var spine = try SkeletonClip(sample, file: "ann.pkl")
        try spine.preNormalize3D(zAxis: [0, 1], xAxis: [8, 4], alignSpine: true, alignShoulder: false, alignCenter: true)
        #expect(spine.totalFrames == 14 && spine.frames == 14 && spine.isFloat64)
        #expect((0..<3).allSatisfy { abs(spine.values[spine.index(0, 0, 1, $0)]) < 1e-12 })
        let hip = (0..<3).map { spine.values[spine.index(0, 0, 0, $0)] }
        #expect(abs(hip[0]) < 1e-7 && abs(hip[1]) < 1e-7 && hip[2] < 0)
        // Then the shoulder rotation puts right shoulder (8) -> left shoulder (4) along x.
        var clip = try SkeletonClip(sample, file: "ann.pkl")
        try clip.preNormalize3D(zAxis: [0, 1], xAxis: [8, 4], alignSpine: true, alignShoulder: true, alignCenter: true)
        let shoulder = (0..<3).map { clip.values[clip.index(0, 0, 8, $0)] - clip.values[clip.index(0, 0, 4, $0)] }
        #expect(abs(shoulder[1]) < 1e-7 && abs(shoulder[2]) < 1e-7 && shoulder[0] > 0)
        // The 14 kept frames loop in every 100-frame clip: frame t and t + 14 are the same skeleton.
        let output = try ClipPipeline(steps).apply(sample)
        let frameSize = 25 * 3
        for t in 0..<86 {
            let a = Array(output.storage[(t * frameSize)..<((t + 1) * frameSize)])
            let b = Array(output.storage[((t + 14) * frameSize)..<((t + 15) * frameSize)])
            #expect(a == b, "frame \(t)")
        }
    }

    @Test func threePersonsAreCutToTheFirstTwo() throws {
        let sample = try Self.validation("stgcn_j_ntu60_2d")[0]
        #expect(sample.persons == 3)
        var three = Self.variants[0].steps
        three[4] = .formatGCNClips(numPerson: 3, mode: .zero)
        let two = try ClipPipeline(Self.variants[0].steps).apply(sample), all = try ClipPipeline(three).apply(sample)
        let personSize = 100 * 17 * 3
        for clip in 0..<10 {
            for person in 0..<2 {
                let a = Array(two.storage[((clip * 2 + person) * personSize)..<((clip * 2 + person + 1) * personSize)])
                let b = Array(all.storage[((clip * 3 + person) * personSize)..<((clip * 3 + person + 1) * personSize)])
                #expect(a == b)
            }
        }
    }

    /// Frame indices of `_get_test_clips` from MMAction2 1.2.0's code run with numpy 2.4.6 by hand
    /// (`UniformSampleFrames(100, 10, test_mode=True)` on `total_frames` n; clip 0's first 12, clip 9's last 6, sum).
    @Test(arguments: [
        (137, [0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14], [128, 129, 130, 131, 133, 135], 68015),
        (250, [1, 3, 6, 8, 10, 13, 16, 17, 21, 23, 25, 27], [236, 238, 241, 244, 245, 249], 124_259),
        (23, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [22, 0, 1, 2, 3, 4], 10985),
        (100, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [94, 95, 96, 97, 98, 99], 49500),
        (5, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1], [3, 4, 0, 1, 2, 3], 2000),
    ])
    func testClipIndicesMatchMMAction2(_ frames: Int, _ head: [Int], _ tail: [Int], _ sum: Int) throws {
        let sample = PoseSample(frameDirectory: "s", label: 0, totalFrames: frames, keypoint: [Float](repeating: 1, count: frames * 3),
                                keypointShape: [1, frames, 1, 3], keypointScore: nil)
        var clip = try SkeletonClip(sample, file: "x")
        var none: NumpyRandomState?
        try clip.uniformSampleFrames(clipLength: 100, numClips: 10, testMode: true, seed: 255, random: &none)
        let indices = try #require(clip.frameIndices)
        #expect(indices.count == 1000)
        #expect(Array(indices.prefix(12)) == head)
        #expect(Array(indices.suffix(6)) == tail)
        #expect(indices.reduce(0, +) == sum)
    }

    @Test func motionStreamsAreTemporalDifferencesAndBonesFollowTheLayout() throws {
        // One person, 3 frames, coco's 17 joints, x = 10·t + v, y = −v, score 0.5 + v/100.
        let frames = 3, joints = 17
        func s(_ v: Int) -> Float { 0.5 + Float(v) / 100 }
        var keypoint: [Float] = [], score: [Float] = []
        for t in 0..<frames {
            for v in 0..<joints {
                keypoint += [Float(10 * t + v), Float(-v)]
                score.append(s(v))
            }
        }
        let sample = PoseSample(frameDirectory: "s", label: 0, totalFrames: frames, keypoint: keypoint, keypointShape: [1, frames, joints, 2],
                                keypointScore: score)
        var clip = try SkeletonClip(sample, file: "x")
        try clip.genSkeFeat(dataset: .coco, feats: [.joint, .bone, .jointMotion, .boneMotion])
        #expect(clip.channels == 12 && !clip.isFloat64)
        func at(_ t: Int, _ v: Int, _ c: Int) -> Double { clip.values[clip.index(0, t, v, c)] }
        // j, then b (joint 7 − joint 5: x 2, y −2, score mean), then jm (x +10 per frame, score mean), then bm.
        #expect(at(1, 7, 0) == 17 && at(1, 7, 2) == Double(s(7)))
        #expect(at(1, 7, 3) == 2 && at(1, 7, 4) == -2 && at(1, 7, 5) == Double((s(7) + s(5)) / 2))
        #expect(at(0, 7, 6) == 10 && at(0, 7, 7) == 0 && at(0, 7, 8) == Double((s(7) + s(7)) / 2) && at(2, 7, 6) == 0)
        #expect(at(0, 0, 3) == 0 && at(0, 7, 9) == 0 && at(2, 7, 11) == 0)
    }

    // MARK: - Bad input

    struct BadCase: CustomTestStringConvertible, Sendable {
        var id: String
        var sample: PoseSample
        var steps: [PipelineStep]
        var message: String
        var testDescription: String { id }
    }

    static func sample(persons: Int, frames: Int, joints: Int, channels: Int, total: Int? = nil, value: Float = 1, score: Bool = false) -> PoseSample {
        PoseSample(frameDirectory: "bad", label: 0, totalFrames: total ?? frames,
                   keypoint: [Float](repeating: value, count: persons * frames * joints * channels),
                   keypointShape: [persons, frames, joints, channels],
                   keypointScore: score ? [Float](repeating: 1, count: persons * frames * joints) : nil)
    }

    static let ntu3d = variants[1].steps
    static let coco2d = variants[0].steps

    static let badCases = [
        BadCase(id: "three persons in 3-D", sample: sample(persons: 3, frames: 5, joints: 25, channels: 3), steps: ntu3d,
                message: "PreNormalize3D takes 1 or 2 persons, found 3"),
        BadCase(id: "2-D data into PreNormalize3D", sample: sample(persons: 1, frames: 5, joints: 25, channels: 2), steps: ntu3d,
                message: "PreNormalize3D needs x, y, z keypoints (C = 3), found C = 2"),
        BadCase(id: "total_frames below the keypoint frames", sample: sample(persons: 1, frames: 5, joints: 25, channels: 3, total: 4), steps: ntu3d,
                message: "'total_frames' (4) equal to the frames in 'keypoint' (5)"),
        BadCase(id: "main person all ~zero", sample: sample(persons: 1, frames: 5, joints: 25, channels: 3, value: 1e-9), steps: ntu3d,
                message: "every frame of the main person is all zero"),
        BadCase(id: "axis joint beyond the joints", sample: sample(persons: 1, frames: 5, joints: 4, channels: 3), steps: ntu3d,
                message: "axis joint 8 is out of range for 4 joints"),
        BadCase(id: "score on nturgb+d", sample: sample(persons: 1, frames: 5, joints: 25, channels: 2, score: true),
                steps: [.genSkeFeat(dataset: .nturgbd, feats: [.joint]), .poseDecode, .formatGCNClips(numPerson: 2, mode: .zero)],
                message: "GenSkeFeat(dataset='nturgb+d') got a 'keypoint_score'"),
        BadCase(id: "too few joints for coco bones", sample: sample(persons: 1, frames: 5, joints: 10, channels: 2, score: true),
                steps: [.genSkeFeat(dataset: .coco, feats: [.bone]), .poseDecode, .formatGCNClips(numPerson: 2, mode: .zero)],
                message: "pairs joints up to 16, the sample has 10 joints"),
        BadCase(id: "four channels for motion", sample: sample(persons: 1, frames: 5, joints: 17, channels: 4),
                steps: [.genSkeFeat(dataset: .coco, feats: [.jointMotion]), .poseDecode, .formatGCNClips(numPerson: 2, mode: .zero)],
                message: "need C = 2 or 3, found C = 4"),
        BadCase(id: "sampling with total_frames below the keypoint frames", sample: sample(persons: 1, frames: 5, joints: 17, channels: 2, total: 3),
                steps: coco2d, message: "UniformSampleFrames needs 'total_frames' (3) equal to the frames in 'keypoint' (5)"),
        BadCase(id: "train-mode sampling without a random state", sample: sample(persons: 1, frames: 5, joints: 17, channels: 2),
                steps: [.uniformSampleFrames(clipLength: 4, numClips: 1, testMode: false, seed: 255), .poseDecode,
                        .formatGCNClips(numPerson: 2, mode: .zero)],
                message: "draws from a training random state; none was given"),
    ]

    @Test(arguments: badCases)
    func badInputIsNamedNotTrapped(_ bad: BadCase) {
        do {
            _ = try ClipPipeline(bad.steps).apply(bad.sample, file: "ann.pkl")
            Issue.record("expected an error")
        } catch let error as AnnotationError {
            #expect(error.file == "ann.pkl")
            #expect(error.message.contains("sample 'bad'"), "\(error.message)")
            #expect(error.message.contains(bad.message), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func allZeroSkeletonPassesPreNormalize3DUnchanged() throws {
        // MMAction2 returns early when skeleton.sum() == 0: nothing is trimmed, the keypoints stay float32 zeros.
        let sample = Self.sample(persons: 2, frames: 7, joints: 25, channels: 3, value: 0)
        let output = try ClipPipeline(Self.ntu3d).apply(sample)
        #expect(output.shape == [10, 2, 100, 25, 3] && output.storage.allSatisfy { $0 == 0 })
    }

    @Test func trainModeDrawsFromTheGivenStateAndAdvancesIt() throws {
        let steps: [PipelineStep] = [.uniformSampleFrames(clipLength: 4, numClips: 2, testMode: false, seed: 255), .poseDecode,
                                     .formatGCNClips(numPerson: 1, mode: .zero)]
        let sample = Self.sample(persons: 1, frames: 3, joints: 1, channels: 1)
        var random: NumpyRandomState? = NumpyRandomState(seed: 1)
        let before = random
        _ = try ClipPipeline(steps).apply(sample, file: "x", random: &random)
        #expect(random != before)
    }

    @Test func pairwiseSumIsNumpys() {
        // numpy 2.4.6 by hand: a = np.ones(300, np.float32); a[0] = 1e8; int(a.sum()) == 100000288, where a running
        // float32 sum stays at 1e8 (each + 1 rounds away) and the exact sum is 100000299.
        var values = [Double](repeating: 1, count: 300)
        values[0] = 1e8
        #expect(SkeletonClip.numpySum(values) == 100_000_288)
        #expect(SkeletonClip.numpySum([1, -1]) == 0 && SkeletonClip.numpySum([]) == 0)
    }
}
