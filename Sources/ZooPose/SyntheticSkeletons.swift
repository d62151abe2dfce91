// M persons, T frames, V joints, C coordinates.
//
// Synthetic skeleton action data in MMAction2's annotation format, deterministic from a seed. Each class is a
// motion of the skeleton's kinematic tree: a few joints swing by class-specific angles, frequencies and phases,
// and every child joint follows its parent through the bone (forward kinematics), so bone lengths stay fixed and
// the motion is plausible. Samples vary in speed, phase, amplitude, scale, position, a second person, and noise.
import Foundation
import ZooTensor
import ZooTorch

public enum SyntheticSkeletons {
    /// Generates the train and val samples of a recipe, in class-interleaved order.
    public static func generate(_ recipe: SyntheticRecipe) -> (train: [PoseSample], val: [PoseSample]) {
        guard let body = Body(layout: recipe.layout) else { preconditionFailure("validated layout") }
        let root = CounterRNG(seed: recipe.seed, stream: 0x5157_4E54)
        let motions = (0..<recipe.classes).map { Motion(classIndex: $0, body: body, rng: root.substream(UInt64($0))) }
        func split(_ name: String, _ total: Int, _ stream: UInt64) -> [PoseSample] {
            let counts = recipe.classCounts(total: total)
            var labels: [Int] = []
            for (label, count) in counts.enumerated() { labels += Array(repeating: label, count: count) }
            let order = root.substream(stream).permutation(labels.count)
            return order.enumerated().map { position, index in
                let label = labels[index]
                let rng = root.substream(stream &* 1_000_003 &+ UInt64(position) &+ 17)
                return sample(name: String(format: "%@_%05d_A%03d", name, position, label + 1), label: label, motion: motions[label],
                              body: body, recipe: recipe, rng: rng)
            }
        }
        return (split("train", recipe.trainCount, 1), split("val", recipe.valCount, 2))
    }

    static func sample(name: String, label: Int, motion: Motion, body: Body, recipe: SyntheticRecipe, rng: CounterRNG) -> PoseSample {
        let t = recipe.frames, v = body.parents.count, c = body.dimensions
        // The second person is present in about half of the samples, like NTU's two-person clips.
        let present = recipe.persons == 1 ? 1 : (rng.uniform(1) < 0.5 ? 2 : 1)
        let persons = min(recipe.persons, present)
        var keypoint = [Float](repeating: 0, count: persons * t * v * c)
        var score: [Float]? = c == 2 ? [Float](repeating: 0, count: persons * t * v) : nil
        for person in 0..<persons {
            let r = rng.substream(UInt64(person) + 10)
            let speed = 0.75 + 0.5 * r.uniformDouble(0)
            let phase = 2 * Double.pi * r.uniformDouble(1)
            let amplitude = 0.7 + 0.6 * r.uniformDouble(2)
            let scale = body.size * (0.85 + 0.3 * r.uniformDouble(3))
            let offset = (0..<c).map { body.spread[$0] * (r.uniformDouble(UInt64(4 + $0)) * 2 - 1) + body.center[$0] + (person == 1 ? body.spread[0] * 1.2 : 0) }
            let noise = body.size * (0.01 + 0.02 * r.uniformDouble(8))
            for frame in 0..<t {
                let time = Double(frame) / 30 * speed
                let pose = body.pose(motion: motion, time: time, phase: phase, amplitude: amplitude)
                for joint in 0..<v {
                    for k in 0..<c {
                        let jitter = noise * r.normal(UInt64(100 + (frame * v + joint) * c + k))
                        keypoint[((person * t + frame) * v + joint) * c + k] = Float(offset[k] + body.sign[k] * scale * pose[joint * c + k] + jitter)
                    }
                    if score != nil {
                        score![(person * t + frame) * v + joint] = Float(0.55 + 0.45 * r.uniformDouble(UInt64(900_000 + frame * v + joint)))
                    }
                }
            }
        }
        // 2-D clips are pixels of a 1920x1080 frame, and their records say so (`img_shape`), as NTU's do.
        return PoseSample(frameDirectory: name, label: label, totalFrames: t, keypoint: keypoint,
                          keypointShape: [persons, t, v, c], keypointScore: score, imageShape: c == 2 ? Self.imageShape : nil)
    }

    // MARK: - Writing

    /// Writes `train.pkl` and `val.pkl` (0.x: lists of dicts) or `annotations.pkl` (1.x: split `train`/`val`) into `directory`.
    /// - Returns: the files written.
    public static func write(_ recipe: SyntheticRecipe, to directory: URL, format: AnnotationFile.Format = .v0x,
                             atomicWrite: (Data, URL) throws -> Void) throws -> [URL] {
        let (train, val) = generate(recipe)
        switch format {
        case .v0x:
            let trainURL = directory.appending(path: "train.pkl"), valURL = directory.appending(path: "val.pkl")
            try atomicWrite(Data(pickle(.list(train.map(record)))), trainURL)
            try atomicWrite(Data(pickle(.list(val.map(record)))), valURL)
            return [trainURL, valURL]
        case .v1x:
            let url = directory.appending(path: "annotations.pkl")
            let splits: PickleOutput = .dict([("train", .list(train.map { .string($0.frameDirectory) })),
                                              ("val", .list(val.map { .string($0.frameDirectory) }))])
            try atomicWrite(Data(pickle(.dict([("split", splits), ("annotations", .list((train + val).map(record)))]))), url)
            return [url]
        }
    }

    static func pickle(_ value: PickleOutput) -> [UInt8] {
        var writer = PickleWriter(protocol: 4)
        writer.write(value)
        writer.finish()
        return writer.bytes
    }

    /// (height, width) of the frame 2-D synthetic clips are drawn in.
    static let imageShape = [1080, 1920]

    static func record(_ sample: PoseSample) -> PickleOutput {
        var entries: [(String, PickleOutput)] = [("frame_dir", .string(sample.frameDirectory)), ("label", .int(sample.label))]
        if let shape = sample.imageShape {
            entries.append(("img_shape", .tuple(shape.map { .int($0) })))
            entries.append(("original_shape", .tuple(shape.map { .int($0) })))
        }
        entries.append(("total_frames", .int(sample.totalFrames)))
        entries.append(("keypoint", .ndarray(type: .float32, shape: sample.keypointShape, data: NumericEncoding.littleEndian(sample.keypoint))))
        if let score = sample.keypointScore {
            entries.append(("keypoint_score", .ndarray(type: .float32, shape: Array(sample.keypointShape.prefix(3)), data: NumericEncoding.littleEndian(score))))
        }
        return .dict(entries)
    }
}

/// A class's motion: per joint, a swing amplitude (radians), a frequency and a phase.
struct Motion {
    var amplitude: [Double]
    var frequency: [Double]
    var phase: [Double]
    /// For 3-D: the rotation axis per joint (unit vector).
    var axis: [[Double]]

    init(classIndex: Int, body: Body, rng: CounterRNG) {
        let v = body.parents.count
        amplitude = [Double](repeating: 0, count: v)
        frequency = [Double](repeating: 0, count: v)
        phase = [Double](repeating: 0, count: v)
        axis = [[Double]](repeating: [0, 0, 1], count: v)
        // Each class moves two or three limbs (chains of joints) with its own rhythm.
        let limbs = body.limbs
        let active = 2 + Int(rng.bits(0) % 2)
        let base = 0.4 + 1.2 * rng.uniformDouble(1)
        for i in 0..<active {
            let limb = limbs[Int(rng.bits(UInt64(10 + i)) % UInt64(limbs.count))]
            let swing = (0.35 + 0.6 * rng.uniformDouble(UInt64(20 + i))) * (rng.uniformDouble(UInt64(30 + i)) < 0.5 ? -1 : 1)
            let rhythm = base * (i == 0 ? 1 : 0.5 + rng.uniformDouble(UInt64(40 + i)))
            let shift = 2 * Double.pi * rng.uniformDouble(UInt64(50 + i))
            let rawAxis = (0..<3).map { rng.normal(UInt64(60 + 3 * i + $0)) }
            let norm = max(1e-9, rawAxis.map { $0 * $0 }.reduce(0, +).squareRoot())
            for (depth, joint) in limb.enumerated() {
                amplitude[joint] += swing / Double(depth + 1)
                frequency[joint] = rhythm
                phase[joint] = shift + 0.4 * Double(depth)
                axis[joint] = rawAxis.map { $0 / norm }
            }
        }
    }
}

/// A skeleton layout's rest pose and kinematic tree.
struct Body {
    let dimensions: Int
    /// Parent of each joint in the tree rooted at the layout's center (-1 for the root).
    let parents: [Int]
    /// Rest positions, unit height, (V, C).
    let rest: [Double]
    /// Chains of joints from a limb's base outwards.
    let limbs: [[Int]]
    /// Person height in data units; screen/world center and the spread of positions.
    let size: Double
    let center: [Double]
    let spread: [Double]
    /// Image y grows downwards in 2-D data.
    let sign: [Double]

    init?(layout: String) {
        switch layout {
        case "coco":
            dimensions = 2
            // x right, y up, unit height; converted to pixels with y flipped.
            rest = [0, 0.92, -0.03, 0.95, 0.03, 0.95, -0.07, 0.93, 0.07, 0.93, -0.17, 0.8, 0.17, 0.8, -0.22, 0.62, 0.22, 0.62,
                    -0.25, 0.45, 0.25, 0.45, -0.1, 0.5, 0.1, 0.5, -0.11, 0.27, 0.11, 0.27, -0.12, 0.03, 0.12, 0.03]
            parents = [-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14]
            limbs = [[5, 7, 9], [6, 8, 10], [11, 13, 15], [12, 14, 16], [1, 3], [2, 4], [0, 1, 2]]
            size = 320
            center = [960, 560]
            spread = [40, 20]
            sign = [1, -1]
        case "ntu-rgb+d":
            dimensions = 3
            // Kinect joint order (0-based): spine base, spine mid, neck, head, l shoulder, l elbow, l wrist, l hand,
            // r shoulder, r elbow, r wrist, r hand, l hip, l knee, l ankle, l foot, r hip, r knee, r ankle, r foot,
            // spine shoulder, l hand tip, l thumb, r hand tip, r thumb. x right, y up, z depth.
            rest = [0, 0.5, 0, 0, 0.68, 0, 0, 0.9, 0, 0, 1.0, 0,
                    -0.17, 0.84, 0, -0.22, 0.66, 0, -0.25, 0.5, 0, -0.26, 0.45, 0,
                    0.17, 0.84, 0, 0.22, 0.66, 0, 0.25, 0.5, 0, 0.26, 0.45, 0,
                    -0.09, 0.48, 0, -0.1, 0.27, 0, -0.11, 0.05, 0, -0.11, 0.0, 0.06,
                    0.09, 0.48, 0, 0.1, 0.27, 0, 0.11, 0.05, 0, 0.11, 0.0, 0.06,
                    0, 0.85, 0, -0.27, 0.41, 0, -0.24, 0.44, 0.02, 0.27, 0.41, 0, 0.24, 0.44, 0.02]
            parents = [1, 20, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, -1, 7, 7, 11, 11]
            limbs = [[4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19], [2, 3], [1, 0], [5, 6, 21, 22], [9, 10, 23, 24]]
            size = 1.7
            center = [0, -0.3, 3.2]
            spread = [0.1, 0.02, 0.1]
            sign = [1, 1, 1]
        default:
            return nil
        }
    }

    /// Joint positions (V, C) at `time` for a motion: each joint's bone is rotated by its own swing composed with its
    /// ancestors' (forward kinematics from the root).
    func pose(motion: Motion, time: Double, phase: Double, amplitude: Double) -> [Double] {
        let v = parents.count, c = dimensions
        var result = [Double](repeating: 0, count: v * c)
        var rotation = [[Double]](repeating: [1, 0, 0, 0, 1, 0, 0, 0, 1], count: v)
        var done = [Bool](repeating: false, count: v)
        func place(_ joint: Int) {
            if done[joint] { return }
            let parent = parents[joint]
            let angle = amplitude * motion.amplitude[joint] * PortableMath.sin(2 * Double.pi * motion.frequency[joint] * time + motion.phase[joint] + phase)
            let local = Body.rotation(axis: c == 2 ? [0, 0, 1] : motion.axis[joint], angle: angle)
            if parent < 0 {
                for k in 0..<c { result[joint * c + k] = rest[joint * c + k] }
                rotation[joint] = local
            } else {
                place(parent)
                rotation[joint] = Body.multiply(rotation[parent], local)
                var bone = [0.0, 0.0, 0.0]
                for k in 0..<c { bone[k] = rest[joint * c + k] - rest[parent * c + k] }
                let turned = Body.apply(rotation[parent], bone)
                for k in 0..<c { result[joint * c + k] = result[parent * c + k] + turned[k] }
            }
            done[joint] = true
        }
        for joint in 0..<v { place(joint) }
        return result
    }

    static func rotation(axis: [Double], angle: Double) -> [Double] {
        let (x, y, z) = (axis[0], axis[1], axis[2]), s = PortableMath.sin(angle), co = PortableMath.cos(angle), t = 1 - co
        return [t * x * x + co, t * x * y - s * z, t * x * z + s * y,
                t * x * y + s * z, t * y * y + co, t * y * z - s * x,
                t * x * z - s * y, t * y * z + s * x, t * z * z + co]
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return out
    }

    static func apply(_ m: [Double], _ v: [Double]) -> [Double] {
        (0..<3).map { i in m[i * 3] * v[0] + m[i * 3 + 1] * v[1] + m[i * 3 + 2] * v[2] }
    }
}

extension SyntheticRecipe {
    /// Samples per class for `total` samples: proportional to imbalance^(-c/(C-1)), every class at least 1.
    public func classCounts(total: Int) -> [Int] {
        let weights = (0..<classes).map { classes == 1 ? 1.0 : PortableMath.pow(imbalance, -Double($0) / Double(classes - 1)) }
        let sum = weights.reduce(0, +)
        var counts = weights.map { max(1, Int((Double(total) * $0 / sum).rounded(.down))) }
        var index = 0
        while counts.reduce(0, +) < total { counts[index % classes] += 1; index += 1 }
        while counts.reduce(0, +) > total, let largest = counts.indices.max(by: { counts[$0] < counts[$1] }) { counts[largest] -= 1 }
        return counts
    }
}
