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
        return statistics(partials: partial, sequences: s, channels: c, plane: p)
    }

    /// Batch statistics from per-sequence moments: `partials[n*2C + c]` is sequence n's Σx of channel c (in Double,
    /// from ``Kernels/channelMoments(_:_:_:channels:plane:)`` on zeros) and `partials[n*2C + C + c]` its Σx².
    /// The sequences are combined in order.
    static func statistics(partials partial: [Double], sequences s: Int, channels c: Int, plane p: Int)
        -> (mean: [Float], biasedVar: [Float], unbiasedVar: [Float]) {
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

    /// Training-mode normalisation from batch statistics: `y = x * scale + shift` with the batch mean and biased
    /// variance; updates the running statistics (unbiased variance) and the batch counter.
    static func trainingAffine(_ stats: (mean: [Float], biasedVar: [Float], unbiasedVar: [Float]), _ parameters: Parameters,
                               _ buffers: inout Buffers) -> (scale: [Float], shift: [Float], invStd: [Float]) {
        let c = stats.mean.count
        var invStd = [Float](repeating: 0, count: c)
        var scale = invStd, shift = invStd
        for i in 0..<c {
            invStd[i] = 1 / (stats.biasedVar[i] + epsilon).squareRoot()
            scale[i] = invStd[i] * parameters.weight.storage[i]
            shift[i] = parameters.bias.storage[i] - stats.mean[i] * scale[i]
            buffers.runningMean.storage[i] = (1 - momentum) * buffers.runningMean.storage[i] + momentum * stats.mean[i]
            buffers.runningVar.storage[i] = (1 - momentum) * buffers.runningVar.storage[i] + momentum * stats.unbiasedVar[i]
        }
        buffers.numBatchesTracked += 1
        return (scale, shift, invStd)
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
            let invStd: [Float]
            (scale, shift, invStd) = trainingAffine(stats, parameters, &buffers)
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
                        backwardPartials(base + n * c * 2, dyBase + n * c * p, xBase + n * c * p, mean: saved.mean, invStd: saved.invStd,
                                         channels: c, plane: p)
                    }
                }
            }
        }
        let (meanDy, meanDyX) = backwardCoefficients(partials: partial, sequences: s, plane: p, into: &gradients)
        return Tensor(uninitialized: dOutput.shape) { dx in
            dOutput.withUnsafeBufferPointer { dy in
                saved.input.withUnsafeBufferPointer { x in
                    let dxBase = dx.baseAddress!, dyBase = dy.baseAddress!, xBase = x.baseAddress!
                    Parallel.forEach(s, threads: threads) { _, n in
                        backwardInput(dxBase + n * c * p, dyBase + n * c * p, xBase + n * c * p, mean: saved.mean, invStd: saved.invStd,
                                      weight: parameters.weight.storage, meanDy: meanDy, meanDyX: meanDyX, channels: c, plane: p)
                    }
                }
            }
        }
    }

    // MARK: - Backward pieces (one sequence at a time, shared with the fused training block)

    /// One sequence's `sums[c] = Σ dy` and `sums[C + c] = Σ dy·x̂` in Double, x̂ = (x − mean)·invStd (overwritten).
    /// Two channels at a time, as independent chains (the same bits as one channel at a time).
    static func backwardPartials(_ sums: UnsafeMutablePointer<Double>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                 mean: [Float], invStd: [Float], channels c: Int, plane p: Int) {
        var first = 0
        while first + 2 <= c {
            let dy0 = dy + first * p, dy1 = dy0 + p, x0 = x + first * p, x1 = x0 + p
            let mean0 = mean[first], mean1 = mean[first + 1], invStd0 = invStd[first], invStd1 = invStd[first + 1]
            var sumDy0 = 0.0, sumDyX0 = 0.0, sumDy1 = 0.0, sumDyX1 = 0.0
            for i in 0..<p {
                let g0 = Double(dy0[i]), g1 = Double(dy1[i])
                sumDy0 += g0
                sumDyX0 += g0 * Double((x0[i] - mean0) * invStd0)
                sumDy1 += g1
                sumDyX1 += g1 * Double((x1[i] - mean1) * invStd1)
            }
            sums[first] = sumDy0
            sums[c + first] = sumDyX0
            sums[first + 1] = sumDy1
            sums[c + first + 1] = sumDyX1
            first += 2
        }
        for channel in first..<c {
            let offset = channel * p
            let mean = mean[channel], invStd = invStd[channel]
            var sumDy = 0.0, sumDyX = 0.0
            for i in 0..<p {
                let g = Double(dy[offset + i])
                sumDy += g
                sumDyX += g * Double((x[offset + i] - mean) * invStd)
            }
            sums[channel] = sumDy
            sums[c + channel] = sumDyX
        }
    }

    /// Combines the per-sequence partials in sequence order, adds dβ = Σdy and dγ = Σdy·x̂ into `gradients`, and
    /// returns the per-channel means of dy and dy·x̂ that ``backwardInput(_:_:_:mean:invStd:weight:meanDy:meanDyX:channels:plane:)`` uses.
    static func backwardCoefficients(partials partial: [Double], sequences s: Int, plane p: Int,
                                     into gradients: inout Gradients) -> (meanDy: [Float], meanDyX: [Float]) {
        let c = gradients.bias.count
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
        return (sumDy.map { Float($0) / count }, sumDyX.map { Float($0) / count })
    }

    /// One sequence's dx = γ·invstd · (dy − mean(dy) − x̂·mean(dy·x̂)); `dx` may be `dy`.
    static func backwardInput(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                              mean: [Float], invStd: [Float], weight: [Float], meanDy: [Float], meanDyX: [Float],
                              channels c: Int, plane p: Int) {
        for channel in 0..<c {
            let offset = channel * p
            let mean = mean[channel], invStd = invStd[channel]
            let factor = weight[channel] * invStd
            let a = meanDy[channel], b = meanDyX[channel]
            for i in 0..<p {
                let xhat = (x[offset + i] - mean) * invStd
                dx[offset + i] = factor * (dy[offset + i] - a - xhat * b)
            }
        }
    }
}
