// S sequences, C channels, P plane (T*V, or T for the data BN).
import ZooTensor

/// Batch normalisation over (S, C, P) with per-channel statistics pooled over S and P.
///
/// Mirrors `torch.nn.BatchNorm1d/2d(C)` (eps 1e-5, momentum 0.1): training mode normalises with the biased
/// batch variance and updates the running variance with the unbiased one; eval mode uses the running stats.
///
/// Arithmetic (portable-1): statistics and their gradients are summed in Double, per channel, over S then P in
/// index order, and per-sequence partials are combined in sequence order (any thread count gives the same
/// bits); Float math is plain multiply and add (no fma), and 1/sqrt uses the correctly rounded `squareRoot()`.
public enum BatchNorm {
    public static let epsilon: Float = 1e-5
    public static let momentum: Float = 0.1

    public struct Parameters: Sendable, Equatable {
        public var weight: Tensor  // (C)
        public var bias: Tensor    // (C)

        public init(channels: Int) {
            weight = Tensor(zeros: [channels], value: 1)
            bias = Tensor(zeros: [channels])
        }
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var runningMean: Tensor  // (C)
        public var runningVar: Tensor   // (C)
        public var numBatchesTracked: Int64

        public init(channels: Int) {
            runningMean = Tensor(zeros: [channels])
            runningVar = Tensor(zeros: [channels], value: 1)
            numBatchesTracked = 0
        }
    }

    /// What training-mode `forward` keeps for `backward`.
    public struct Saved: Sendable {
        let input: Tensor        // (S, C, P)
        let mean: [Float]        // (C) batch mean
        let invStd: [Float]      // (C) 1 / sqrt(biased var + eps)
    }

    /// Per-channel `scale` and `shift` with `y = x * scale + shift`, from running stats (eval) — PyTorch's CPU
    /// kernel folds the same way: alpha = invstd * weight, beta = bias - mean * alpha.
    static func evalAffine(_ parameters: Parameters, _ buffers: Buffers) -> (scale: [Float], shift: [Float]) {
        let c = parameters.weight.count
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            let invStd = 1 / (buffers.runningVar.storage[i] + epsilon).squareRoot()
            scale[i] = invStd * parameters.weight.storage[i]
            shift[i] = parameters.bias.storage[i] - buffers.runningMean.storage[i] * scale[i]
        }
        return (scale, shift)
    }

    /// Batch statistics of a (S, C, P) tensor; per-sequence partial sums reduced in sequence order so the
    /// result does not depend on the thread count.
    static func batchStatistics(_ input: Tensor, threads: Int) -> (mean: [Float], biasedVar: [Float], unbiasedVar: [Float]) {
        let s = input.shape[0], c = input.shape[1], p = input.shape[2...].reduce(1, *)
        var partial = [Double](repeating: 0, count: s * c * 2)
        input.withUnsafeBufferPointer { x in
            partial.withUnsafeMutableBufferPointer { partial in
                let base = partial.baseAddress!
                let xBase = x.baseAddress!
                Parallel.forEach(s, threads: threads) { _, n in
                    Kernels.channelMoments(base + n * c * 2, base + n * c * 2 + c, xBase + n * c * p, channels: c, plane: p)
                }
            }
        }
        var mean = [Float](repeating: 0, count: c), biased = mean, unbiased = mean
        let count = Double(s * p)
        for channel in 0..<c {
            var sum = 0.0, squares = 0.0
            for n in 0..<s {
                sum += partial[n * c * 2 + channel]
                squares += partial[n * c * 2 + c + channel]
            }
            let m = sum / count
            let variance = max(0, squares / count - m * m)
            mean[channel] = Float(m)
            biased[channel] = Float(variance)
            unbiased[channel] = Float(count > 1 ? variance * count / (count - 1) : variance)
        }
        return (mean, biased, unbiased)
    }

    /// Normalises `input` (S, C, P), optionally followed by ReLU.
    /// - Returns: the output and, in training mode, what ``backward`` needs.
    public static func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers,
                               training: Bool, relu: Bool = false, threads: Int) -> (output: Tensor, saved: Saved?) {
        let c = input.shape[1]
        precondition(parameters.weight.count == c, "BatchNorm over \(parameters.weight.count) channels got \(input.shape)")
        var scale: [Float], shift: [Float]
        var saved: Saved?
        if training {
            let stats = batchStatistics(input, threads: threads)
            var invStd = [Float](repeating: 0, count: c)
            scale = invStd
            shift = invStd
            for i in 0..<c {
                invStd[i] = 1 / (stats.biasedVar[i] + epsilon).squareRoot()
                scale[i] = invStd[i] * parameters.weight.storage[i]
                shift[i] = parameters.bias.storage[i] - stats.mean[i] * scale[i]
                buffers.runningMean.storage[i] = (1 - momentum) * buffers.runningMean.storage[i] + momentum * stats.mean[i]
                buffers.runningVar.storage[i] = (1 - momentum) * buffers.runningVar.storage[i] + momentum * stats.unbiasedVar[i]
            }
            buffers.numBatchesTracked += 1
            saved = Saved(input: input, mean: stats.mean, invStd: invStd)
        } else {
            (scale, shift) = evalAffine(parameters, buffers)
        }
        return (applyAffine(input, scale: scale, shift: shift, relu: relu, threads: threads), saved)
    }

    static func applyAffine(_ input: Tensor, scale: [Float], shift: [Float], relu: Bool, threads: Int) -> Tensor {
        let s = input.shape[0], c = input.shape[1], p = input.shape[2...].reduce(1, *)
        return Tensor(uninitialized: input.shape) { out in
            input.withUnsafeBufferPointer { x in
                let outBase = out.baseAddress!, xBase = x.baseAddress!
                Parallel.forEach(s, threads: threads) { _, n in
                    Kernels.affine(outBase + n * c * p, xBase + n * c * p, scale: scale, shift: shift, channels: c, plane: p, relu: relu)
                }
            }
        }
    }

    /// Adds dWeight and dBias into `gradients` and returns dInput.
    ///
    /// With x̂ = (x - μ)·invstd and count = S·P:
    /// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invstd/count · (count·dy − Σdy − x̂·Σ(dy·x̂)).
    public static func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters,
                                into gradients: inout Gradients, threads: Int) -> Tensor {
        let s = dOutput.shape[0], c = dOutput.shape[1], p = dOutput.shape[2...].reduce(1, *)
        var partial = [Double](repeating: 0, count: s * c * 2)  // per sequence: Σdy, Σdy·x̂
        dOutput.withUnsafeBufferPointer { dy in
            saved.input.withUnsafeBufferPointer { x in
                partial.withUnsafeMutableBufferPointer { partial in
                    let base = partial.baseAddress!, dyBase = dy.baseAddress!, xBase = x.baseAddress!
                    Parallel.forEach(s, threads: threads) { _, n in
                        for channel in 0..<c {
                            let offset = (n * c + channel) * p
                            let mean = saved.mean[channel], invStd = saved.invStd[channel]
                            var sumDy = 0.0, sumDyX = 0.0
                            for i in 0..<p {
                                let g = Double(dyBase[offset + i])
                                sumDy += g
                                sumDyX += g * Double((xBase[offset + i] - mean) * invStd)
                            }
                            base[n * c * 2 + channel] = sumDy
                            base[n * c * 2 + c + channel] = sumDyX
                        }
                    }
                }
            }
        }
        var sumDy = [Double](repeating: 0, count: c), sumDyX = sumDy
        for n in 0..<s {
            for channel in 0..<c {
                sumDy[channel] += partial[n * c * 2 + channel]
                sumDyX[channel] += partial[n * c * 2 + c + channel]
            }
        }
        for channel in 0..<c {
            gradients.bias.storage[channel] += Float(sumDy[channel])
            gradients.weight.storage[channel] += Float(sumDyX[channel])
        }
        let count = Float(s * p)
        let meanDy = sumDy.map { Float($0) / count }, meanDyX = sumDyX.map { Float($0) / count }
        return Tensor(uninitialized: dOutput.shape) { dx in
            dOutput.withUnsafeBufferPointer { dy in
                saved.input.withUnsafeBufferPointer { x in
                    let dxBase = dx.baseAddress!, dyBase = dy.baseAddress!, xBase = x.baseAddress!
                    Parallel.forEach(s, threads: threads) { _, n in
                        for channel in 0..<c {
                            let offset = (n * c + channel) * p
                            let mean = saved.mean[channel], invStd = saved.invStd[channel]
                            let factor = parameters.weight.storage[channel] * invStd
                            let a = meanDy[channel], b = meanDyX[channel]
                            for i in 0..<p {
                                let xhat = (xBase[offset + i] - mean) * invStd
                                dxBase[offset + i] = factor * (dyBase[offset + i] - a - xhat * b)
                            }
                        }
                    }
                }
            }
        }
    }
}
