import Foundation
import Testing
import ZooTensor
@testable import ZooPose

/// Train-mode `UniformSampleFrames` (MMAction2 1.2.0 `_get_train_clips`): numpy's draws for a seeded `RandomState`, and
/// SkelZoo's keying of each sample's state by CounterRNG.
@Suite struct TrainClipsTests {
    /// One person, one joint, one channel whose value is the frame index, so the output shows the sampled frames.
    static func sample(frames: Int) -> PoseSample {
        PoseSample(frameDirectory: "s", label: 0, totalFrames: frames, keypoint: (0..<frames).map(Float.init), keypointShape: [1, frames, 1, 1],
                   keypointScore: nil)
    }

    static func steps(clipLength: Int, numClips: Int) -> [PipelineStep] {
        [.uniformSampleFrames(clipLength: clipLength, numClips: numClips, testMode: false, seed: 255), .poseDecode,
         .formatGCNClips(numPerson: 1, mode: .zero)]
    }

    /// MMAction2 1.2.0's `_get_train_clips` then `np.mod(inds, num_frames)` after `np.random.seed(seed)` (numpy 2.4.6),
    /// written down once by hand: a short clip (random start, looped), a clip under twice clip_len (random skips) and a
    /// long one (one random frame per segment).
    static let numpyCases: [(seed: UInt32, frames: Int, clipLength: Int, numClips: Int, indices: [Int])] = [
        (42, 5, 8, 2, [3, 4, 0, 1, 2, 3, 4, 0, 4, 0, 1, 2, 3, 4, 0, 1]),
        (42, 13, 8, 2, [1, 3, 4, 5, 6, 8, 9, 11, 1, 3, 4, 6, 8, 10, 11, 12]),
        (7, 30, 8, 1, [0, 4, 9, 14, 15, 19, 24, 29]),
    ]

    @Test func trainClipsAreNumpysDrawsForASeed() throws {
        for c in Self.numpyCases {
            var random: NumpyRandomState? = NumpyRandomState(seed: c.seed)
            let output = try ClipPipeline(Self.steps(clipLength: c.clipLength, numClips: c.numClips)).apply(Self.sample(frames: c.frames), file: "x", random: &random)
            #expect(output.shape == [c.numClips, 1, c.clipLength, 1, 1])
            #expect(output.storage.map { Int($0) } == c.indices, "seed \(c.seed), \(c.frames) frames")
        }
    }

    @Test func trainingDrawsAreKeyedByTheirCounterRNG() throws {
        let pipeline = ClipPipeline(Self.steps(clipLength: 8, numClips: 1))
        let sample = Self.sample(frames: 13)
        let key = CounterRNG(seed: 7, stream: 4).substream(0)
        let first = try pipeline.applyTraining(sample, file: "x", draws: key.substream(3))
        // The same key gives the same clip (a resumed run, another thread); the state is numpy's, seeded from the key.
        #expect(try pipeline.applyTraining(sample, file: "x", draws: key.substream(3)).storage == first.storage)
        var random: NumpyRandomState? = NumpyRandomState(seed: UInt32(truncatingIfNeeded: key.substream(3).bits(0)))
        #expect(try pipeline.apply(sample, file: "x", random: &random).storage == first.storage)
        // Other samples and epochs draw other frames.
        let others = try (0..<8).map { try pipeline.applyTraining(sample, file: "x", draws: CounterRNG(seed: 7, stream: 4).substream(UInt64($0)).substream(3)).storage }
        #expect(Set(others.map { $0.map(Int.init) }).count > 1)
    }
}
