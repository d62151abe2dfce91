// M persons, T frames, V joints, C channels.
//
// The MMAction2 1.2.0 skeleton transforms one by one (`mmaction/datasets/transforms/pose_transforms.py`,
// `formatting.py`), each mirroring its Python line by line, with the dtype numpy computes in:
// - a float32 array stays float32 through `-`, `*`, `/` with Python numbers (NEP 50), so each such result is
//   rounded to float32 (``SkeletonClip/stored(_:)``);
// - PreNormalize3D's `np.cross(v, [0, 0, 1])` and rotation matrices are float64 and `np.einsum` of the float32
//   keypoints with a float64 matrix returns float64: from there on the keypoints are float64 until PoseDecode's
//   `astype(np.float32)`.
// Where numpy calls BLAS or SIMD loops, the order below is the one numpy 2.4.6 with its OpenBLAS 0.3.31 takes
// (checked value for value against it on the fixtures' skeletons, AVX-512 CPU):
// - `np.linalg.norm` of a float32 3-vector: `sdot`, which sums the (exact) squares in double, rounded to float32;
// - of a float64 3-vector: `ddot`, an fma chain x0·x0, then + x1·x1, then + x2·x2, each fused;
// - `np.einsum('abcd,kd->abck')` over d = 0, 1, 2: a SIMD multiply-add with a horizontal sum, (p0 + p2) + p1.
// acos, sin, cos are SkelZoo's portable ones (within a few double ulps of libm); results are cast to float32
// at PoseDecode, so an ulp in a double almost never reaches the output.
import ZooTensor

extension SkeletonClip {
    // MARK: - PreNormalize2D

    /// x' = (x − w/2) / (w/2), y' = (y − h/2) / (h/2) in float32; `img_shape` = (h, w).
    mutating func preNormalize2D(imageShape: [Int]) {
        let halfHeight = stored(Double(imageShape[0]) / 2), halfWidth = stored(Double(imageShape[1]) / 2)
        for base in stride(from: 0, to: values.count, by: channels) {
            values[base] = stored(stored(values[base] - halfWidth) / halfWidth)
            if channels > 1 { values[base + 1] = stored(stored(values[base + 1] - halfHeight) / halfHeight) }
        }
    }

    // MARK: - PreNormalize3D

    /// Trims the frames where the main person is all zero, centres on the main person's first-frame centre joint,
    /// then rotates the hip→spine bone onto +z and the right→left shoulder bone onto +x (2s-AGCN's pre-normalisation).
    mutating func preNormalize3D(zAxis: [Int], xAxis: [Int], alignSpine: Bool, alignShoulder: Bool, alignCenter: Bool) throws {
        guard frames == totalFrames else {
            throw fail("PreNormalize3D needs 'total_frames' (\(totalFrames)) equal to the frames in 'keypoint' (\(frames))")
        }
        guard channels == 3 else { throw fail("PreNormalize3D needs x, y, z keypoints (C = 3), found C = \(channels)") }
        guard persons == 1 || persons == 2 else { throw fail("PreNormalize3D takes 1 or 2 persons, found \(persons)") }
        for joint in zAxis + xAxis where joint >= joints {
            throw fail("PreNormalize3D axis joint \(joint) is out of range for \(joints) joints")
        }
        if Self.numpySum(values) == 0 { return }

        // Frames where person m is not all ~0 (np.isclose(x, 0): |x| <= 1e-8, compared in float64).
        func present(_ person: Int) -> [Int] {
            (0..<frames).filter { t in
                let base = index(person, t, 0, 0)
                return !values[base..<(base + joints * channels)].allSatisfy { abs($0) <= 1e-8 }
            }
        }
        let first = present(0)
        var kept = first, order = Array(0..<persons)
        if persons == 2 {
            let second = present(1)
            if first.count < second.count {
                kept = second
                order = [1, 0]  // the person present longer becomes the main one
            }
        }
        guard !kept.isEmpty else { throw fail("PreNormalize3D: every frame of the main person is all zero (nothing left after trimming)") }
        var trimmed = [Double](repeating: 0, count: persons * kept.count * joints * channels)
        let plane = joints * channels
        for (newPerson, person) in order.enumerated() {
            for (newFrame, frame) in kept.enumerated() {
                let from = index(person, frame, 0, 0), to = (newPerson * kept.count + newFrame) * plane
                trimmed.replaceSubrange(to..<(to + plane), with: values[from..<(from + plane)])
            }
        }
        values = trimmed
        frames = kept.count
        totalFrames = kept.count

        if alignCenter {
            // skeleton[0, 0, 1] for NTU's 25 joints, else the last joint; joints that are all zero stay zero (mask).
            let centreJoint = joints == 25 ? 1 : joints - 1
            let centre = (0..<channels).map { values[index(0, 0, centreJoint, $0)] }
            for base in stride(from: 0, to: values.count, by: channels) {
                let isPresent = (0..<channels).contains { values[base + $0] != 0 }
                // (x − centre) · mask: an absent joint becomes ±0 with the sign of x − centre, as numpy's product.
                for c in 0..<channels { values[base + c] = stored(values[base + c] - centre[c]) * (isPresent ? 1 : 0) }
            }
        }
        if alignSpine {
            let bone = (0..<3).map { stored(values[index(0, 0, zAxis[1], $0)] - values[index(0, 0, zAxis[0], $0)]) }
            // np.cross(bone, [0, 0, 1]) = (b1, −b0, 0); the angle to +z reads component 2 of the unit bone.
            let matrix = Self.rotationMatrix(axis: [bone[1], -bone[0], 0], angle: angleToAxis(bone, component: 2))
            rotate(by: matrix)
        }
        if alignShoulder {
            let bone = (0..<3).map { stored(values[index(0, 0, xAxis[0], $0)] - values[index(0, 0, xAxis[1], $0)]) }
            // np.cross(bone, [1, 0, 0]) = (0, b2, −b1); the angle to +x reads component 0.
            let matrix = Self.rotationMatrix(axis: [0, bone[2], -bone[1]], angle: angleToAxis(bone, component: 0))
            rotate(by: matrix)
        }
    }

    /// `angle_between(v, e_k)`: arccos(clip(v/‖v‖ · e_k, −1, 1)), 0 when Σ|v| < 1e-6.
    func angleToAxis(_ v: [Double], component: Int) -> Double {
        let unitComponent: Double
        if isFloat64 {
            guard (abs(v[0]) + abs(v[1])) + abs(v[2]) >= 1e-6 else { return 0 }
            let norm = Self.ddotSelf(v).squareRoot()
            unitComponent = v[component] / norm
        } else {
            // float32: |v| summed in float32, the norm is sqrt(float32(sdot)), the unit vector float32.
            let sum = Float(Float(abs(Float(v[0])) + abs(Float(v[1]))) + abs(Float(v[2])))
            guard sum >= Float(1e-6) else { return 0 }
            let norm = Float(((v[0] * v[0] + v[1] * v[1]) + v[2] * v[2])).squareRoot()
            unitComponent = Double(Float(v[component]) / norm)
        }
        return PortableMath.acos(min(max(unitComponent, -1), 1))
    }

    /// `rotation_matrix(axis, θ)`: the Euler–Rodrigues matrix, float64; the identity when Σ|axis| < 1e-6 or |θ| < 1e-6.
    static func rotationMatrix(axis: [Double], angle theta: Double) -> [Double] {
        guard (abs(axis[0]) + abs(axis[1])) + abs(axis[2]) >= 1e-6, abs(theta) >= 1e-6 else { return [1, 0, 0, 0, 1, 0, 0, 0, 1] }
        let length = ddotSelf(axis).squareRoot()
        let unit = axis.map { $0 / length }
        let a = PortableMath.cos(theta / 2), s = PortableMath.sin(theta / 2)
        let b = -unit[0] * s, c = -unit[1] * s, d = -unit[2] * s
        let aa = a * a, bb = b * b, cc = c * c, dd = d * d
        let bc = b * c, ad = a * d, ac = a * c, ab = a * b, bd = b * d, cd = c * d
        return [aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac),
                2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab),
                2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc]
    }

    /// `np.einsum('abcd,kd->abck', keypoint, R)`: x'_k = (x0·R[k,0] + x2·R[k,2]) + x1·R[k,1], float64 from here on.
    mutating func rotate(by matrix: [Double]) {
        for base in stride(from: 0, to: values.count, by: 3) {
            let x0 = values[base], x1 = values[base + 1], x2 = values[base + 2]
            for k in 0..<3 {
                values[base + k] = (x0 * matrix[3 * k] + x2 * matrix[3 * k + 2]) + x1 * matrix[3 * k + 1]
            }
        }
        isFloat64 = true
    }

    /// OpenBLAS `ddot(v, v)` on a 3-vector: an fma chain.
    static func ddotSelf(_ v: [Double]) -> Double {
        (v[0] * v[0]).addingProduct(v[1], v[1]).addingProduct(v[2], v[2])
    }

    /// numpy's `sum()` of a contiguous float32 array: pairwise summation in float32 (`pairwise_sum` in
    /// `numpy/_core/src/umath/loops_utils.h.src`: 8 accumulators up to 128 values, halves above).
    static func numpySum(_ values: [Double]) -> Float {
        values.withUnsafeBufferPointer { pairwiseSum($0[...]) }
    }

    static func pairwiseSum(_ a: Slice<UnsafeBufferPointer<Double>>) -> Float {
        let n = a.count, start = a.startIndex
        if n < 8 {
            var sum: Float = 0
            for x in a { sum += Float(x) }
            return sum
        }
        if n <= 128 {
            var r = (0..<8).map { Float(a[start + $0]) }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += Float(a[start + i + j]) }
                i += 8
            }
            var sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                sum += Float(a[start + i])
                i += 1
            }
            return sum
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(a[start..<(start + half)]) + pairwiseSum(a[(start + half)...])
    }
}
