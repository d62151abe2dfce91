// S sequences, C channels, T frames, V joints, Kt temporal kernel size, P = T*V plane size.
//
// The elementwise and data-movement kernels of ST-GCN. Plain loops over unsafe pointers, outputs first,
// then inputs, then sizes; GEMM.sgemm (GEMM.swift) is the only other fast path. Nothing here allocates.

public enum Kernels {
    /// im2col for a (Kt x 1) convolution over frames with zero padding:
    /// `columns[(c*Kt + k), t'*V + v] = input[c, t'*stride + k*dilation - padding, v]` (0 outside the clip).
    ///
    /// - Parameters:
    ///   - columns: (C*Kt, T'*V) output.
    ///   - input: (C, T, V).
    public static func im2colTemporal(
        _ columns: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
        channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int = 1,
        channelStride: Int? = nil
    ) {
        forEachTemporalTap(channels: channels, frames: frames, joints: joints, kernel: kernel, stride: stride, padding: padding,
                           outFrames: outFrames, dilation: dilation, channelStride: channelStride) { row, source, offset, inside in
            let row = columns + row, source = input + source
            row.update(repeating: 0, count: inside.lowerBound * joints)
            if stride == 1 {
                // One run of whole frames: input frames inside.lowerBound + offset ..< inside.upperBound + offset.
                (row + inside.lowerBound * joints).update(from: source + (inside.lowerBound + offset) * joints, count: inside.count * joints)
            } else {
                for t in inside { (row + t * joints).update(from: source + (t * stride + offset) * joints, count: joints) }
            }
            (row + inside.upperBound * joints).update(repeating: 0, count: (outFrames - inside.upperBound) * joints)
        }
    }

    /// The adjoint of ``im2colTemporal``: adds each column entry back to the input position it came from.
    ///
    /// - Parameters:
    ///   - input: (C, T, V) gradient, accumulated into (+=).
    ///   - columns: (C*Kt, T'*V).
    public static func col2imTemporalAdd(
        _ input: UnsafeMutablePointer<Float>, _ columns: UnsafePointer<Float>,
        channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int = 1
    ) {
        forEachTemporalTap(channels: channels, frames: frames, joints: joints, kernel: kernel, stride: stride, padding: padding,
                           outFrames: outFrames, dilation: dilation) { row, target, offset, inside in
            let row = columns + row, target = input + target
            if stride == 1 {
                let destination = target + (inside.lowerBound + offset) * joints, source = row + inside.lowerBound * joints
                for i in 0..<inside.count * joints { destination[i] += source[i] }
            } else {
                for t in inside {
                    let destination = target + (t * stride + offset) * joints, source = row + t * joints
                    for v in 0..<joints { destination[v] += source[v] }
                }
            }
        }
    }

    /// The loop ``im2colTemporal`` and ``col2imTemporalAdd`` share, over channels c, then taps k (the column rows'
    /// order): `body(row, channel, offset, inside)` gets the offset of row c*Kt + k in the columns, the offset of
    /// channel c in the input (c·T·V, or c·channelStride), and the output frames t' in `inside` read input frame t'*stride + offset
    /// (offset = k*dilation - padding); the frames outside `inside` fall in the zero padding.
    @inline(__always)
    static func forEachTemporalTap(
        channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int,
        channelStride: Int? = nil, _ body: (_ row: Int, _ channel: Int, _ offset: Int, _ inside: Range<Int>) -> Void
    ) {
        let rowLength = outFrames * joints, channelStride = channelStride ?? frames * joints
        for c in 0..<channels {
            for k in 0..<kernel {
                let offset = k * dilation - padding
                // t'*stride + offset in 0..<frames  <=>  t' in first..<end.
                let first = offset >= 0 ? 0 : (stride - 1 - offset) / stride
                let end = offset > frames - 1 ? 0 : min(outFrames, (frames - 1 - offset) / stride + 1)
                body((c * kernel + k) * rowLength, c * channelStride, offset, min(first, end)..<end)
            }
        }
    }

    /// Keeps every `stride`-th frame: `output[c, t', v] = input[c, t'*stride, v]`.
    public static func subsampleFrames(
        _ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
        channels: Int, frames: Int, joints: Int, stride: Int, outFrames: Int
    ) {
        for c in 0..<channels {
            for t in 0..<outFrames {
                (output + (c * outFrames + t) * joints).update(from: input + (c * frames + t * stride) * joints, count: joints)
            }
        }
    }

    /// Adjoint of ``subsampleFrames``: `input[c, t'*stride, v] += output[c, t', v]`.
    public static func subsampleFramesBackwardAdd(
        _ input: UnsafeMutablePointer<Float>, _ output: UnsafePointer<Float>,
        channels: Int, frames: Int, joints: Int, stride: Int, outFrames: Int
    ) {
        for c in 0..<channels {
            for t in 0..<outFrames {
                let destination = input + (c * frames + t * stride) * joints, source = output + (c * outFrames + t) * joints
                for v in 0..<joints { destination[v] += source[v] }
            }
        }
    }

    /// The ReLU's backward, `output[i] = activation[i] <= 0 ? 0 : gradient[i]`, or with `accumulate`
    /// `output[i] = output[i] + (activation[i] <= 0 ? 0 : gradient[i])`. `output` may be `gradient`. Sixteen lanes
    /// at a time with a select: an activation's sign is a coin flip, so a branch per element mispredicts half the time.
    public static func reluBackward(
        _ output: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, activation: UnsafePointer<Float>,
        count: Int, accumulate: Bool = false
    ) {
        var i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(activation + i).loadUnaligned(as: SIMD16<Float>.self)
            var d = UnsafeRawPointer(gradient + i).loadUnaligned(as: SIMD16<Float>.self).replacing(with: 0, where: a .<= 0)
            if accumulate { d = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD16<Float>.self) + d }
            UnsafeMutableRawPointer(output + i).storeBytes(of: d, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let d = activation[i] <= 0 ? 0 : gradient[i]
            output[i] = accumulate ? output[i] + d : d
            i += 1
        }
    }

    /// Dropout with a bit mask: `data[i] *= bit i of mask ? scale : 0`, the bits read least significant first from
    /// `mask[i / 64]`. Sixteen lanes at a time (a lane's factor is selected, not branched on).
    public static func scaleByMask(_ data: UnsafeMutablePointer<Float>, _ mask: UnsafePointer<UInt64>, scale: Float, count: Int) {
        let lanes = SIMD16<UInt32>(1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7,
                                   1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15)
        var i = 0
        while i + 16 <= count {
            let bits = UInt32(truncatingIfNeeded: mask[i >> 6] >> UInt64(i & 63)) & 0xFFFF
            let factor = SIMD16<Float>(repeating: 0).replacing(with: scale, where: SIMD16(repeating: bits) & lanes .!= 0)
            let x = UnsafeRawPointer(data + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(data + i).storeBytes(of: x * factor, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            data[i] *= mask[i >> 6] >> UInt64(i & 63) & 1 == 1 ? scale : 0
            i += 1
        }
    }

    /// Zeros what surrounds the clips of a ``TemporalInput/padded(margin:)`` buffer: the `margin` frames before and
    /// after each of `channels` clips of `frames` frames, and the slack after the last. `buffer` is the first zero (the
    /// input pointer is `buffer + margin * joints`).
    public static func zeroTemporalMargins(_ buffer: UnsafeMutablePointer<Float>, channels: Int, margin: Int, joints: Int, frames: Int) {
        let zeros = margin * joints, stride = (frames + 2 * margin) * joints
        for c in 0..<channels {
            (buffer + c * stride).update(repeating: 0, count: zeros)
            (buffer + c * stride + zeros + frames * joints).update(repeating: 0, count: zeros)
        }
        (buffer + channels * stride).update(repeating: 0, count: TemporalInput.slack)
    }

    /// `out[c, p] = in[c, p] + bias[c]` in place.
    public static func addBias(_ data: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, channels: Int, plane: Int) {
        for c in 0..<channels {
            let row = data + c * plane, b = bias[c]
            for p in 0..<plane { row[p] += b }
        }
    }

    /// `bias[c] += sum_p gradient[c, p]` (summed in order, Float).
    ///
    /// Eight channels at a time: eight independent chains, each still summed in plane order (the same bits as one
    /// channel at a time; the chains only overlap the adds' latency).
    public static func addBiasGradient(_ bias: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, channels: Int, plane: Int) {
        var first = 0
        while first + 8 <= channels {
            let row = gradient + first * plane
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
            for p in 0..<plane {
                s0 += row[p]
                s1 += row[plane + p]
                s2 += row[2 * plane + p]
                s3 += row[3 * plane + p]
                s4 += row[4 * plane + p]
                s5 += row[5 * plane + p]
                s6 += row[6 * plane + p]
                s7 += row[7 * plane + p]
            }
            for (offset, sum) in [s0, s1, s2, s3, s4, s5, s6, s7].enumerated() { bias[first + offset] += sum }
            first += 8
        }
        for c in first..<channels {
            let row = gradient + c * plane
            var sum: Float = 0
            for p in 0..<plane { sum += row[p] }
            bias[c] += sum
        }
    }

    /// ``addBias(_:_:channels:plane:)`` then ``affine(_:_:scale:shift:channels:plane:relu:)`` in one pass, in place:
    /// `data = (data + bias[c]) * scale[c] + shift[c]`, each operation rounded as the two passes round it.
    public static func addBiasAffine(
        _ data: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
        channels: Int, plane: Int
    ) {
        for c in 0..<channels {
            let row = data + c * plane, b = bias[c], a = scale[c], t = shift[c]
            for p in 0..<plane { row[p] = (row[p] + b) * a + t }
        }
    }

    /// Per-channel affine then optional ReLU: `out = max(0, in * scale[c] + shift[c])`; output channel c at
    /// `output + c * outputChannelStride` (default: `plane`, contiguous).
    public static func affine(
        _ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, channels: Int, plane: Int, relu: Bool, outputChannelStride: Int? = nil
    ) {
        for c in 0..<channels {
            let source = input + c * plane, destination = output + c * (outputChannelStride ?? plane)
            let a = scale[c], b = shift[c]
            if relu {
                for p in 0..<plane { destination[p] = max(0, source[p] * a + b) }
            } else {
                for p in 0..<plane { destination[p] = source[p] * a + b }
            }
        }
    }

    /// Per-channel sum and sum of squares in Double (order fixed: each channel's plane in order). Four channels at
    /// a time, as independent chains (the same bits as one channel at a time).
    public static func channelMoments(
        _ sums: UnsafeMutablePointer<Double>, _ squares: UnsafeMutablePointer<Double>,
        _ input: UnsafePointer<Float>, channels: Int, plane: Int
    ) {
        var first = 0
        while first + 4 <= channels {
            let row = input + first * plane
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
            for p in 0..<plane {
                let x0 = Double(row[p]), x1 = Double(row[plane + p]), x2 = Double(row[2 * plane + p]), x3 = Double(row[3 * plane + p])
                s0 += x0
                q0 += x0 * x0
                s1 += x1
                q1 += x1 * x1
                s2 += x2
                q2 += x2 * x2
                s3 += x3
                q3 += x3 * x3
            }
            sums[first] += s0
            sums[first + 1] += s1
            sums[first + 2] += s2
            sums[first + 3] += s3
            squares[first] += q0
            squares[first + 1] += q1
            squares[first + 2] += q2
            squares[first + 3] += q3
            first += 4
        }
        for c in first..<channels {
            let row = input + c * plane
            var s = 0.0, q = 0.0
            for p in 0..<plane {
                let x = Double(row[p])
                s += x
                q += x * x
            }
            sums[c] += s
            squares[c] += q
        }
    }
}
