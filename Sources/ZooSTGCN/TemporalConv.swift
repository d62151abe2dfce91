// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, Kt temporal kernel size.
import ZooTensor

/// Temporal convolution over frames: kernel (Kt, 1), stride (s, 1), dilation (d, 1), zero padding ((Kt-1)·d/2, 0).
///
/// Shapes: input (S, Cin, T, V) -> output (S, Cout, T', V), T' = (T + 2·pad − d·(Kt − 1) − 1) / s + 1.
/// Mirrors `nn.Conv2d(cin, cout, (Kt, 1), (s, 1), ((Kt-1)/2, 0))`, `st_gcn.tcn[2]` in MMAction2 0.x, and 1.x
/// `unit_tcn`'s conv, whose padding `(Kt + (Kt-1)(d-1) - 1) // 2` equals (Kt-1)·d/2 for odd Kt.
/// With Kt = 1 it is the strided 1x1 residual convolution (`residual[0]`).
public struct TemporalConv: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var weight: Tensor  // (Cout, Cin, Kt), PyTorch's (Cout, Cin, Kt, 1)
        public var bias: Tensor    // (Cout)
    }

    public typealias Gradients = Parameters

    /// What `forward` keeps: only the input; im2col is recomputed in `backward` to keep memory down.
    public struct Saved: Sendable {
        let input: Tensor  // (S, Cin, T, V)
    }

    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public var padding: Int { (kernelSize - 1) * dilation / 2 }

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, dilation: Int = 1) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
    }

    public func outputFrames(_ frames: Int) -> Int { (frames + 2 * padding - dilation * (kernelSize - 1) - 1) / stride + 1 }

    /// Lowers one sequence to the GEMM operand: im2col for Kt > 1, frame subsampling for a strided 1x1, or
    /// the input itself. Returns the pointer to use.
    private func columns(_ scratch: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, frames: Int, joints: Int, outFrames: Int) -> UnsafePointer<Float> {
        if kernelSize == 1 && stride == 1 { return x }
        if kernelSize == 1 {
            Kernels.subsampleFrames(scratch, x, channels: inputChannels, frames: frames, joints: joints, stride: stride, outFrames: outFrames)
        } else {
            Kernels.im2colTemporal(scratch, x, channels: inputChannels, frames: frames, joints: joints, kernel: kernelSize,
                                   stride: stride, padding: padding, outFrames: outFrames, dilation: dilation)
        }
        return UnsafePointer(scratch)
    }

    private var needsColumns: Bool { !(kernelSize == 1 && stride == 1) }

    public func forward(_ input: Tensor, _ parameters: Parameters, saving: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let s = input.shape[0], t = input.shape[2], v = input.shape[3]
        precondition(input.shape[1] == inputChannels, "TemporalConv expects \(inputChannels) channels, got \(input.shape)")
        let tOut = outputFrames(t), q = tOut * v, depth = inputChannels * kernelSize
        let output = Tensor(uninitialized: [s, outputChannels, tOut, v]) { out in
            input.withUnsafeBufferPointer { x in
                parameters.weight.withUnsafeBufferPointer { w in
                    parameters.bias.withUnsafeBufferPointer { b in
                        let outBase = out.baseAddress!, xBase = x.baseAddress!
                        Parallel.forEach(s, threads: threads, scratch: { [Float](repeating: 0, count: needsColumns ? depth * q : 0) }) { scratch, n in
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                let cols = columns(scratch.baseAddress ?? UnsafeMutablePointer(mutating: xBase), xBase + n * inputChannels * t * v,
                                                   frames: t, joints: v, outFrames: tOut)
                                // out (Cout, T'V) = W (Cout, Cin·Kt) · cols (Cin·Kt, T'V) + b
                                let y = outBase + n * outputChannels * q
                                GEMM.sgemm(y, w.baseAddress!, cols, m: outputChannels, n: q, k: depth)
                                Kernels.addBias(y, b.baseAddress!, channels: outputChannels, plane: q)
                            }
                        }
                    }
                }
            }
        }
        return (output, saving ? Saved(input: input) : nil)
    }

    /// Adds dWeight and dBias into `gradients` and returns dInput.
    /// dW = Σ_n dY·colsᵀ; db = Σ dY; dcols = Wᵀ·dY; dx = col2im(dcols).
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let input = saved.input
        let s = input.shape[0], t = input.shape[2], v = input.shape[3]
        let tOut = dOutput.shape[2], q = tOut * v, depth = inputChannels * kernelSize, plane = t * v
        var dWeights = [Float](repeating: 0, count: s * outputChannels * depth)
        var dBiases = [Float](repeating: 0, count: s * outputChannels)
        let dInput = Tensor(uninitialized: input.shape) { dx in
            dOutput.withUnsafeBufferPointer { dy in
                input.withUnsafeBufferPointer { x in
                    parameters.weight.withUnsafeBufferPointer { w in
                        dWeights.withUnsafeMutableBufferPointer { dW in
                            dBiases.withUnsafeMutableBufferPointer { dB in
                                let dxBase = dx.baseAddress!, dyBase = dy.baseAddress!, xBase = x.baseAddress!
                                let dWBase = dW.baseAddress!, dBBase = dB.baseAddress!
                                Parallel.forEach(s, threads: threads, scratch: { [Float](repeating: 0, count: needsColumns ? 2 * depth * q : 0) }) { scratch, n in
                                    scratch.withUnsafeMutableBufferPointer { scratch in
                                        let dyN = dyBase + n * outputChannels * q, dxN = dxBase + n * inputChannels * plane
                                        let cols = columns(scratch.baseAddress ?? UnsafeMutablePointer(mutating: xBase), xBase + n * inputChannels * plane,
                                                           frames: t, joints: v, outFrames: tOut)
                                        // dW_n (Cout, Cin·Kt) = dY (Cout, T'V) · colsᵀ
                                        GEMM.sgemm(dWBase + n * outputChannels * depth, dyN, cols, m: outputChannels, n: depth, k: q, transposeB: true)
                                        Kernels.addBiasGradient(dBBase + n * outputChannels, dyN, channels: outputChannels, plane: q)
                                        if needsColumns {
                                            // dcols (Cin·Kt, T'V) = Wᵀ · dY, then scatter back to frames.
                                            let dCols = scratch.baseAddress! + depth * q
                                            GEMM.sgemm(dCols, w.baseAddress!, dyN, m: depth, n: q, k: outputChannels, transposeA: true)
                                            dxN.update(repeating: 0, count: inputChannels * plane)
                                            if kernelSize == 1 {
                                                Kernels.subsampleFramesBackwardAdd(dxN, dCols, channels: inputChannels, frames: t, joints: v, stride: stride, outFrames: tOut)
                                            } else {
                                                Kernels.col2imTemporalAdd(dxN, dCols, channels: inputChannels, frames: t, joints: v, kernel: kernelSize,
                                                                          stride: stride, padding: padding, outFrames: tOut, dilation: dilation)
                                            }
                                        } else {
                                            GEMM.sgemm(dxN, w.baseAddress!, dyN, m: inputChannels, n: q, k: outputChannels, transposeA: true)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for n in 0..<s {
            for i in 0..<outputChannels * depth { gradients.weight.storage[i] += dWeights[n * outputChannels * depth + i] }
            for i in 0..<outputChannels { gradients.bias.storage[i] += dBiases[n * outputChannels + i] }
        }
        return dInput
    }
}
