// M persons, T frames, V joints, C channels.
//
// GenSkeFeat, UniformSampleFrames, PoseDecode and FormatGCNInput of MMAction2 1.2.0
// (`mmaction/datasets/transforms/pose_transforms.py`, `formatting.py`); dtype rules as in SkeletonTransforms.swift.
import ZooTensor

extension SkeletonDataset {
    /// `JointToBone.pairs`: bone v1 = joint v1 − joint v2 (a root pairs with itself: a zero bone).
    var bonePairs: [(Int, Int)] {
        switch self {
        case .nturgbd:
            [(0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20), (9, 8), (10, 9), (11, 10), (12, 0), (13, 12),
             (14, 13), (15, 14), (16, 0), (17, 16), (18, 17), (19, 18), (21, 22), (20, 20), (22, 7), (23, 24), (24, 11)]
        case .openpose:
            [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8), (10, 9), (11, 5), (12, 11), (13, 12), (14, 0),
             (15, 0), (16, 14), (17, 15)]
        case .coco:
            [(0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 0), (6, 0), (7, 5), (8, 6), (9, 7), (10, 8), (11, 0), (12, 0), (13, 11), (14, 12),
             (15, 13), (16, 14)]
        }
    }

    /// JointToBone and ToMotion average the score channel (C = 3) for these 2-D layouts instead of differencing it.
    var averagesScore: Bool { self != .nturgbd }
}

extension SkeletonClip {
    // MARK: - GenSkeFeat

    /// Appends `keypoint_score` as a channel (2-D data), then builds the streams `feats` and concatenates them on C.
    mutating func genSkeFeat(dataset: SkeletonDataset, feats: [SkeletonFeature]) throws {
        if let score {
            guard dataset != .nturgbd else { throw fail("GenSkeFeat(dataset='nturgb+d') got a 'keypoint_score' (2-D data); use coco or openpose") }
            guard channels == 2 else { throw fail("only 2-D keypoints (C = 2) have 'keypoint_score', found C = \(channels)") }
            var merged = [Double](repeating: 0, count: values.count / 2 * 3)
            for point in 0..<(values.count / 2) {
                merged[3 * point] = values[2 * point]
                merged[3 * point + 1] = values[2 * point + 1]
                merged[3 * point + 2] = score[point]
            }
            values = merged
            channels = 3
            self.score = nil
        }
        let needsBones = feats.contains(.bone) || feats.contains(.boneMotion)
        if needsBones || feats.contains(.jointMotion) {
            guard channels == 2 || channels == 3 else { throw fail("GenSkeFeat bones and motions need C = 2 or 3, found C = \(channels)") }
        }
        var bone: [Double] = []
        if needsBones {
            let highest = dataset.bonePairs.map { max($0.0, $0.1) }.max() ?? 0
            guard highest < joints else { throw fail("GenSkeFeat(dataset='\(dataset.rawValue)') pairs joints up to \(highest), the sample has \(joints) joints") }
            bone = bones(dataset)
        }
        var streams: [(values: [Double], isFloat64: Bool)] = []
        for feature in feats {
            switch feature {
            case .joint: streams.append((values, isFloat64))
            case .bone: streams.append((bone, false))
            case .jointMotion: streams.append((motion(of: values, isFloat64: isFloat64, dataset), isFloat64))
            case .boneMotion: streams.append((motion(of: bone, isFloat64: false, dataset), false))
            }
        }
        // MergeSkeFeat: np.concatenate(axis=-1); float64 if any stream is (float32 values convert exactly).
        let points = values.count / channels
        var merged = [Double](repeating: 0, count: points * channels * streams.count)
        for (s, stream) in streams.enumerated() {
            for point in 0..<points {
                for c in 0..<channels { merged[(point * streams.count + s) * channels + c] = stream.values[point * channels + c] }
            }
        }
        isFloat64 = streams.contains { $0.isFloat64 }
        values = merged
        channels *= streams.count
    }

    /// JointToBone: a float32 array, bone v1 = float32(joint v1 − joint v2) computed in the keypoints' dtype.
    func bones(_ dataset: SkeletonDataset) -> [Double] {
        var bone = [Double](repeating: 0, count: values.count)
        for base in stride(from: 0, to: values.count, by: joints * channels) {
            for (v1, v2) in dataset.bonePairs {
                for c in 0..<channels { bone[base + v1 * channels + c] = Double(Float(values[base + v1 * channels + c] - values[base + v2 * channels + c])) }
                if channels == 3 && dataset.averagesScore {
                    let sum = stored(values[base + v1 * channels + 2] + values[base + v2 * channels + 2])
                    bone[base + v1 * channels + 2] = Double(Float(sum / 2))
                }
            }
        }
        return bone
    }

    /// ToMotion: motion[:, t] = x[:, t + 1] − x[:, t] for t < T − 1, zero at the last frame, in the source's dtype;
    /// the score channel (2-D layouts, C = 3) is the mean of the two frames' scores instead.
    func motion(of source: [Double], isFloat64 wide: Bool, _ dataset: SkeletonDataset) -> [Double] {
        func round(_ value: Double) -> Double { wide ? value : Double(Float(value)) }
        var motion = [Double](repeating: 0, count: source.count)
        let plane = joints * channels
        for m in 0..<persons {
            for t in 0..<max(frames - 1, 0) {
                let now = (m * frames + t) * plane, next = now + plane
                for i in 0..<plane { motion[now + i] = round(source[next + i] - source[now + i]) }
                if channels == 3 && dataset.averagesScore {
                    for v in 0..<joints {
                        let sum = round(source[now + v * 3 + 2] + source[next + v * 3 + 2])
                        motion[now + v * 3 + 2] = round(sum / 2)
                    }
                }
            }
        }
        return motion
    }

    // MARK: - UniformSampleFrames

    /// `frame_inds` for `numClips` clips of `clipLength` frames. Test mode reseeds numpy's legacy generator with
    /// `seed` for every sample (`np.random.seed(self.seed)`); train mode draws from `random`.
    mutating func uniformSampleFrames(clipLength: Int, numClips: Int, testMode: Bool, seed: Int, random: inout NumpyRandomState?) throws {
        let n = totalFrames
        guard n >= 1 else { throw fail("UniformSampleFrames needs at least one frame, 'total_frames' is \(n)") }
        guard n == frames else { throw fail("UniformSampleFrames needs 'total_frames' (\(n)) equal to the frames in 'keypoint' (\(frames))") }
        var generator: NumpyRandomState
        if testMode {
            generator = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed))
        } else {
            guard let random else { throw fail("UniformSampleFrames(test_mode=False) draws from a training random state; none was given") }
            generator = random
        }
        var indices: [Int] = []
        indices.reserveCapacity(numClips * clipLength)
        for i in 0..<numClips {
            let start: Int
            if n < clipLength {
                // Test: a fixed start per clip; train: a random one.
                start = testMode ? (n < numClips ? i : i * n / numClips) : generator.randint(n)
                indices += (start..<(start + clipLength)).map { $0 % n }
            } else if n < 2 * clipLength {
                // Insert n − clipLength one-frame skips at distinct random places among clipLength + 1 gaps.
                var offset = [Int](repeating: 0, count: clipLength + 1)
                for gap in generator.choiceWithoutReplacement(clipLength + 1, size: n - clipLength) { offset[gap] = 1 }
                var skipped = 0
                for t in 0..<clipLength {
                    skipped += offset[t]
                    indices.append((t + skipped) % n)
                }
            } else {
                // One random frame from each of clipLength equal segments.
                let bounds = (0...clipLength).map { $0 * n / clipLength }
                let sizes = (0..<clipLength).map { bounds[$0 + 1] - bounds[$0] }
                let offsets = generator.randint(sizes)
                for t in 0..<clipLength { indices.append((bounds[t] + offsets[t]) % n) }
            }
        }
        if !testMode { random = generator }
        // MMAction2 then blends integer and float indices at person-count transitions; both are the same
        // integers here (`coeff * inds_int + (1 - coeff) * inds` with integer `inds`), so that step changes nothing.
        frameIndices = indices
        self.numClips = numClips
    }

    // MARK: - PoseDecode

    /// keypoint[:, frame_inds] (and keypoint_score) as float32.
    mutating func poseDecode() {
        let indices = frameIndices ?? Array(0..<totalFrames)
        let plane = joints * channels
        var decoded = [Double](repeating: 0, count: persons * indices.count * plane)
        var decodedScore: [Double]? = score.map { _ in [Double](repeating: 0, count: persons * indices.count * joints) }
        for m in 0..<persons {
            for (t, frame) in indices.enumerated() {
                let from = (m * frames + frame) * plane, to = (m * indices.count + t) * plane
                for i in 0..<plane { decoded[to + i] = Double(Float(values[from + i])) }
                if let score {
                    for v in 0..<joints { decodedScore?[(m * indices.count + t) * joints + v] = score[(m * frames + frame) * joints + v] }
                }
            }
        }
        values = decoded
        score = decodedScore
        frames = indices.count
        isFloat64 = false
    }

    // MARK: - FormatGCNInput

    /// Appends a remaining score as a channel, pads persons to `numPerson` (zeros, or copies of a lone person in
    /// loop mode) or keeps the first `numPerson`, and splits frames into clips: (num_clips, M, T / num_clips, V, C).
    func formatGCNInput(numPerson: Int, mode: PersonPadding) throws -> Tensor {
        let c = channels + (score == nil ? 0 : 1)
        guard frames % numClips == 0 else { throw fail("FormatGCNInput: \(frames) frames do not split into \(numClips) clips") }
        let clipFrames = frames / numClips
        var output = Tensor(zeros: [numClips, numPerson, clipFrames, joints, c])
        for person in 0..<numPerson {
            let source: Int
            if person < persons { source = person } else if mode == .loop && persons == 1 { source = 0 } else { continue }
            for t in 0..<frames {
                let clip = t / clipFrames, frame = t % clipFrames
                for v in 0..<joints {
                    let to = (((clip * numPerson + person) * clipFrames + frame) * joints + v) * c
                    let from = index(source, t, v, 0)
                    for k in 0..<channels { output.storage[to + k] = Float(values[from + k]) }
                    if let score { output.storage[to + channels] = Float(score[(source * frames + t) * joints + v]) }
                }
            }
        }
        return output
    }
}
