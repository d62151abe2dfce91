// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, K spatial partitions, P = T*V.
import ZooTensor

extension STGCNBlock {
    /// Eval-mode forward, fused per sequence: the same operations in the same order as ``forward(_:_:_:pattern:training:dropoutRNG:threads:)``
    /// with running-stat BN, but each sequence goes through the whole block while its intermediates are still in
    /// cache, instead of one batch-sized tensor per step. Nothing is saved.
    func forwardEval(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, pattern: Tensor, threads: Int) -> Tensor {
        let s = input.shape[0], cin = input.shape[1], t = input.shape[2], v = input.shape[3]
        let k = pattern.shape[0], cout = gcn.outputChannels, kc = k * cout, p = t * v
        let tOut = temporal.outputFrames(t), q = tOut * v, depth = cout * temporal.kernelSize
        var effective = pattern.storage
        for i in effective.indices { effective[i] *= parameters.importance.storage[i] }
        let adjacency = SparseAdjacency(pattern: pattern.storage, effective: effective, partitions: k, joints: v)
        let norm1 = BatchNorm.evalAffine(parameters.gcnNorm, buffers.gcnNorm)
        let norm2 = BatchNorm.evalAffine(parameters.temporalNorm, buffers.temporalNorm)
        var residualNorm: (scale: [Float], shift: [Float])?
        if let norm = parameters.residualNorm, let normBuffers = buffers.residualNorm { residualNorm = BatchNorm.evalAffine(norm, normBuffers) }
        let kind = residualKind, stride = temporal.stride, kernel = temporal.kernelSize, padding = temporal.padding
        let residualParameters = parameters.residual
        return Tensor(uninitialized: [s, cout, tOut, v]) { out in
            input.withUnsafeBufferPointer { x in
                parameters.gcn.weight.withUnsafeBufferPointer { gw in
                parameters.gcn.bias.withUnsafeBufferPointer { gb in
                parameters.temporal.weight.withUnsafeBufferPointer { tw in
                parameters.temporal.bias.withUnsafeBufferPointer { tb in
                    let outBase = out.baseAddress!, xBase = x.baseAddress!
                    let scratchSize = kc * p + cout * p + depth * q + cout * q
                    Parallel.forEach(s, threads: threads, scratch: { [Float](repeating: 0, count: scratchSize) }) { scratch, n in
                        scratch.withUnsafeMutableBufferPointer { buffer in
                            let projected = buffer.baseAddress!, aggregated = projected + kc * p
                            let columns = aggregated + cout * p, residual = columns + depth * q
                            let xN = xBase + n * cin * p, y = outBase + n * cout * q
                            // gcn: 1x1 conv to K·Cout, einsum with A_eff; tcn[0..1]: BN + ReLU.
                            GEMM.sgemm(projected, gw.baseAddress!, xN, m: kc, n: p, k: cin)
                            Kernels.addBias(projected, gb.baseAddress!, channels: kc, plane: p)
                            adjacency.aggregate(aggregated, projected, rows: cout * t)
                            Kernels.affine(aggregated, aggregated, scale: norm1.scale, shift: norm1.shift, channels: cout, plane: p, relu: true)
                            // tcn[2..3]: 9x1 conv with stride, BN.
                            let operand: UnsafePointer<Float>
                            if kernel == 1 && stride == 1 {
                                operand = UnsafePointer(aggregated)
                            } else {
                                Kernels.im2colTemporal(columns, aggregated, channels: cout, frames: t, joints: v, kernel: kernel,
                                                       stride: stride, padding: padding, outFrames: tOut)
                                operand = UnsafePointer(columns)
                            }
                            GEMM.sgemm(y, tw.baseAddress!, operand, m: cout, n: q, k: depth)
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
        }
    }
}
