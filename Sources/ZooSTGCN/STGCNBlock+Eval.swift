// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, K spatial partitions, P = T*V.
import ZooTensor

extension STGCNBlock {
    /// Eval-mode forward, fused per sequence: the same operations in the same order as ``forward(_:_:_:pattern:training:dropoutRNG:threads:)``
    /// with running-stat BN, but each sequence goes through the whole block while its intermediates are still in
    /// cache, instead of one batch-sized tensor per step. Nothing is saved.
    func forwardEval(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, pattern: Tensor, threads: Int) -> Tensor {
        let s = input.shape[0], t = input.shape[2], v = input.shape[3]
        let workers = max(1, min(threads, s)), scratch = evalScratchCount(frames: t, joints: v, partitions: pattern.shape[0])
        var workspace = [Float](repeating: 0, count: workers * scratch)
        return Tensor(uninitialized: [s, gcn.outputChannels, temporal.outputFrames(t), v]) { out in
            input.withUnsafeBufferPointer { x in
                workspace.withUnsafeMutableBufferPointer { w in
                    forwardEval(x.baseAddress!, into: out.baseAddress!, sequences: s, frames: t, joints: v, parameters, buffers, pattern: pattern,
                                workspace: w.baseAddress!, threads: threads)
                }
            }
        }
    }

    /// Floats of scratch one worker of ``forwardEval(_:into:sequences:frames:joints:_:_:pattern:workspace:threads:)`` uses.
    func evalScratchCount(frames t: Int, joints v: Int, partitions k: Int) -> Int {
        let cout = gcn.outputChannels, p = t * v, q = temporal.outputFrames(t) * v
        return k * cout * p + cout * p + cout * temporal.kernelSize * q + cout * q + paddedCount(frames: t, joints: v)
    }

    /// Floats of h = ReLU(BN(g)) laid out for the 9x1 convolution with its zero frames around each channel.
    func paddedCount(frames t: Int, joints v: Int) -> Int {
        TemporalInput.paddedCount(channels: gcn.outputChannels, margin: temporal.padding, joints: v, frames: t)
    }

    /// Writes h = ReLU(BN(g)) (g: Cout, T, V) into `padded` with zeros around each channel's frames, and runs the 9x1
    /// convolution (before its bias) on it into u: with stride 1 the SIMD kernels then read the convolution's rows
    /// straight from h, without packing them.
    func normalizeAndConvolve(_ u: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                              padded: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>,
                              frames t: Int, joints v: Int) {
        let cout = gcn.outputChannels, margin = temporal.padding
        let h = padded + margin * v
        Kernels.zeroTemporalMargins(padded, channels: cout, margin: margin, joints: v, frames: t)
        Kernels.affine(h, g, scale: scale, shift: shift, channels: cout, plane: t * v, relu: true, outputChannelStride: (t + 2 * margin) * v)
        GEMM.sgemmTemporal(u, weight, input: h, columns: columns, m: temporal.outputChannels, channels: cout, frames: t, joints: v,
                           kernel: temporal.kernelSize, stride: temporal.stride, padding: temporal.padding,
                           outFrames: temporal.outputFrames(t), layout: .padded(margin: margin))
    }

    /// ``forwardEval(_:_:_:pattern:threads:)`` on buffers the caller owns: `input` (S, Cin, T, V) into `output`
    /// (S, Cout, T', V), with `workspace` holding min(threads, S) times ``evalScratchCount(frames:joints:partitions:)``
    /// floats (reused across blocks, so a forward does not map fresh pages for every block).
    func forwardEval(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, sequences s: Int, frames t: Int, joints v: Int,
                     _ parameters: Parameters, _ buffers: Buffers, pattern: Tensor, workspace: UnsafeMutablePointer<Float>, threads: Int) {
        let cin = gcn.inputChannels, k = pattern.shape[0], cout = gcn.outputChannels, kc = k * cout, p = t * v
        let tOut = temporal.outputFrames(t), q = tOut * v, depth = cout * temporal.kernelSize
        var effective = pattern.storage
        for i in effective.indices { effective[i] *= parameters.importance.storage[i] }
        let adjacency = SparseAdjacency(pattern: pattern.storage, effective: effective, partitions: k, joints: v)
        let norm1 = BatchNorm.evalAffine(parameters.gcnNorm, buffers.gcnNorm)
        let norm2 = BatchNorm.evalAffine(parameters.temporalNorm, buffers.temporalNorm)
        var residualNorm: (scale: [Float], shift: [Float])?
        if let norm = parameters.residualNorm, let normBuffers = buffers.residualNorm { residualNorm = BatchNorm.evalAffine(norm, normBuffers) }
        let kind = residualKind, stride = temporal.stride
        let residualParameters = parameters.residual
        let scratchSize = evalScratchCount(frames: t, joints: v, partitions: k)
        parameters.gcn.weight.withUnsafeBufferPointer { gw in
        parameters.gcn.bias.withUnsafeBufferPointer { gb in
        parameters.temporal.weight.withUnsafeBufferPointer { tw in
        parameters.temporal.bias.withUnsafeBufferPointer { tb in
        let outBase = output, xBase = input
        Parallel.forEach(s, threads: threads) { worker, n in
            let projected = workspace + worker * scratchSize, aggregated = projected + kc * p
            let columns = aggregated + cout * p, residual = columns + depth * q, padded = residual + cout * q
            let xN = xBase + n * cin * p, y = outBase + n * cout * q
            // gcn: 1x1 conv to K·Cout, einsum with A_eff.
            GEMM.sgemm(projected, gw.baseAddress!, xN, m: kc, n: p, k: cin)
            Kernels.addBias(projected, gb.baseAddress!, channels: kc, plane: p)
            adjacency.aggregate(aggregated, projected, rows: cout * t)
            // tcn[0..1]: BN + ReLU into the padded h; tcn[2..3]: 9x1 conv with stride, BN.
            normalizeAndConvolve(y, aggregated, scale: norm1.scale, shift: norm1.shift, padded: padded, columns: columns,
                                 weight: tw.baseAddress!, frames: t, joints: v)
            Kernels.addBiasAffine(y, bias: tb.baseAddress!, scale: norm2.scale, shift: norm2.shift, channels: cout, plane: q)
            // + residual, ReLU.
            switch kind {
            case .none:
                for i in 0..<cout * q { y[i] = max(0, y[i]) }
            case .identity:
                for i in 0..<cout * q { y[i] = max(0, y[i] + xN[i]) }
            case .convolution:
                guard let residualParameters, let residualNorm else { return }
                residualParameters.weight.withUnsafeBufferPointer { rw in
                    residualParameters.bias.withUnsafeBufferPointer { rb in
                        Kernels.subsampleFrames(columns, xN, channels: cin, frames: t, joints: v, stride: stride, outFrames: tOut)
                        GEMM.sgemm(residual, rw.baseAddress!, columns, m: cout, n: q, k: cin)
                        Kernels.addBiasAffine(residual, bias: rb.baseAddress!, scale: residualNorm.scale, shift: residualNorm.shift,
                                              channels: cout, plane: q)
                    }
                }
                for i in 0..<cout * q { y[i] = max(0, y[i] + residual[i]) }
            }
        }
        }
        }
        }
        }
    }
}
