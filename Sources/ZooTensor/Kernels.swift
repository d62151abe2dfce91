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
        channels: Int, frames: Int, joints: Int, kernel: Int, stride: Int, padding: Int, outFrames: Int, dilation: Int = 1
    ) {
        let rowLength = outFrames * joints
        for c in 0..<channels {
            let source = input + c * frames * joints
            for k in 0..<kernel {
                let row = columns + (c * kernel + k) * rowLength
                for t in 0..<outFrames {
                    let tIn = t * stride + k * dilation - padding
                    let out = row + t * joints
                    if tIn < 0 || tIn >= frames {
                        out.update(repeating: 0, count: joints)
                    } else {
                        out.update(from: source + tIn * joints, count: joints)
                    }
                }
            }
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
        let rowLength = outFrames * joints
        for c in 0..<channels {
            let target = input + c * frames * joints
            for k in 0..<kernel {
                let row = columns + (c * kernel + k) * rowLength
                for t in 0..<outFrames {
                    let tIn = t * stride + k * dilation - padding
                    guard tIn >= 0 && tIn < frames else { continue }
                    let destination = target + tIn * joints, source = row + t * joints
                    for v in 0..<joints { destination[v] += source[v] }
                }
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

    /// `out[c, p] = in[c, p] + bias[c]` in place.
    public static func addBias(_ data: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, channels: Int, plane: Int) {
        for c in 0..<channels {
            let row = data + c * plane, b = bias[c]
            for p in 0..<plane { row[p] += b }
        }
    }

    /// `bias[c] += sum_p gradient[c, p]` (summed in order, Float).
    public static func addBiasGradient(_ bias: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, channels: Int, plane: Int) {
        for c in 0..<channels {
            let row = gradient + c * plane
            var sum: Float = 0
            for p in 0..<plane { sum += row[p] }
            bias[c] += sum
        }
    }

    /// Per-channel affine then optional ReLU: `out = max(0, in * scale[c] + shift[c])`.
    public static func affine(
        _ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, channels: Int, plane: Int, relu: Bool
    ) {
        for c in 0..<channels {
            let source = input + c * plane, destination = output + c * plane
            let a = scale[c], b = shift[c]
            if relu {
                for p in 0..<plane { destination[p] = max(0, source[p] * a + b) }
            } else {
                for p in 0..<plane { destination[p] = source[p] * a + b }
            }
        }
    }

    /// Per-channel sum and sum of squares in Double (order fixed: channel by channel, plane in order).
    public static func channelMoments(
        _ sums: UnsafeMutablePointer<Double>, _ squares: UnsafeMutablePointer<Double>,
        _ input: UnsafePointer<Float>, channels: Int, plane: Int
    ) {
        for c in 0..<channels {
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
