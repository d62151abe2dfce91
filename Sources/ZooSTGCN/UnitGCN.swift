// S sequences, Cin/Cout channels, T frames, V joints, K spatial partitions, P = T*V.
import ZooTensor

/// `unit_gcn` of MMAction2 1.x (`mmaction/models/utils/gcn_utils.py`, `conv_pos='pre'`):
///
///     res = down(x)                  // with_res: conv1x1 + BN when Cin != Cout, else x; 0 without with_res
///     y   = conv1x1(x)               // (K·Cout) channels, channel k·Cout + c belongs to partition k
///     z   = einsum('nkctv,kvw->nctw', y, A_eff)   A_eff = A (None, init) | A + PA (offset) | A ⊙ PA (importance)
///     out = ReLU(BN(z) + res)
///
/// The einsum runs as K dense GEMMs per sequence, Z (Cout·T, V) += Y_k (Cout·T, V) · A_eff[k] (V, V): A_eff is
/// dense once `init`/`offset` training has moved it, and its gradient is then needed everywhere.
public struct UnitGCN: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var conv: TemporalConv.Parameters      // gcn.conv (K·Cout, Cin, 1, 1)
        /// gcn.A (K, V, V): a parameter for `init`, a buffer otherwise (loaded, not trained).
        public var adjacency: Tensor
        /// gcn.PA (K, V, V) for `importance` and `offset`.
        public var adaptive: Tensor?
        public var norm: BatchNorm.Parameters         // gcn.bn
        public var down: ConvNorm.Parameters?         // gcn.down.0 / .1
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var norm: BatchNorm.Buffers
        public var down: ConvNorm.Buffers?
    }

    public struct Saved: Sendable {
        let conv: TemporalConv.Saved
        let projected: Tensor           // y (S, K·Cout, T, V)
        let effective: Tensor           // A_eff (K, V, V)
        let norm: BatchNorm.Saved
        let down: ConvNorm.Saved?
        let output: Tensor              // ReLU mask
    }

    public let inputChannels: Int
    public let outputChannels: Int
    public let partitions: Int
    public let adaptiveMode: GCNAdaptive
    public let residual: ResidualKind
    let conv: TemporalConv
    let down: ConvNorm?

    /// - Parameter withResidual: `with_res`; the residual is then a conv1x1 + BN when the channels differ.
    public init(inputChannels: Int, outputChannels: Int, partitions: Int, adaptive: GCNAdaptive, withResidual: Bool) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.partitions = partitions
        adaptiveMode = adaptive
        residual = !withResidual ? .none : inputChannels == outputChannels ? .identity : .convolution
        conv = TemporalConv(inputChannels: inputChannels, outputChannels: partitions * outputChannels, kernelSize: 1, stride: 1)
        down = residual == .convolution ? ConvNorm(inputChannels: inputChannels, outputChannels: outputChannels) : nil
    }

    /// Default-constructed values with A = `graph`: PA ones (importance) or zeros (offset; PyTorch draws U(±1e-6)).
    public func makeParameters(graph: Tensor) -> Parameters {
        let adaptive: Tensor? = switch adaptiveMode {
        case .importance: Tensor(zeros: graph.shape, value: 1)
        case .offset: Tensor(zeros: graph.shape)
        case .initial, .none: nil
        }
        return Parameters(conv: .init(weight: Tensor(zeros: [partitions * outputChannels, inputChannels, 1]), bias: Tensor(zeros: [partitions * outputChannels])),
                          adjacency: graph, adaptive: adaptive, norm: .init(channels: outputChannels), down: down?.makeParameters())
    }

    public func makeBuffers() -> Buffers { Buffers(norm: .init(channels: outputChannels), down: down?.makeBuffers()) }

    /// A_eff from A and PA.
    func effectiveAdjacency(_ parameters: Parameters) -> Tensor {
        var result = parameters.adjacency
        guard let adaptive = parameters.adaptive else { return result }
        for i in result.storage.indices {
            result.storage[i] = adaptiveMode == .offset ? result.storage[i] + adaptive.storage[i] : result.storage[i] * adaptive.storage[i]
        }
        return result
    }

    /// - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T, V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let s = input.shape[0], t = input.shape[2], v = input.shape[3], rows = outputChannels * t
        let (residualOutput, downSaved) = residual.forward(input, through: down, parameters.down, &buffers.down, training: training, threads: threads)
        let (y, convSaved) = conv.forward(input, parameters.conv, saving: training, threads: threads)
        let effective = effectiveAdjacency(parameters)
        let k = partitions
        let z = Tensor(uninitialized: [s, outputChannels, t, v]) { out in
            y.withUnsafeBufferPointer { y in
                effective.withUnsafeBufferPointer { a in
                    let outBase = out.baseAddress!, yBase = y.baseAddress!, aBase = a.baseAddress!
                    Parallel.forEach(s, threads: threads) { _, n in
                        for partition in 0..<k {
                            // Z (Cout·T, V) (+)= Y_k (Cout·T, V) · A_k (V, V), partitions in order.
                            GEMM.sgemm(outBase + n * rows * v, yBase + (n * k + partition) * rows * v, aBase + partition * v * v,
                                       m: rows, n: v, k: v, accumulate: partition > 0)
                        }
                    }
                }
            }
        }
        var (out, normSaved) = BatchNorm.forward(z, parameters.norm, &buffers.norm, training: training, threads: threads)
        ResidualKind.addReLU(&out, residual: residualOutput, threads: threads)
        guard training, let convSaved, let normSaved else { return (out, nil) }
        return (out, Saved(conv: convSaved, projected: y, effective: effective, norm: normSaved, down: downSaved, output: out))
    }

    /// Adds this unit's gradients and returns dInput. Walks ReLU, BN, einsum, conv in reverse, then sums the residual's dInput.
    ///
    /// dY_k = dZ · A_kᵀ; dA_eff[k] = Σ_s Y_kᵀ · dZ (per sequence, reduced in sequence order);
    /// dA = dA_eff (init), dPA = dA_eff (offset), dPA = dA_eff ⊙ A (importance).
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let dPre = STGCNBlock.reluBackward(dOutput, output: saved.output, threads: threads)
        let dZ = BatchNorm.backward(dPre, saved.norm, parameters.norm, into: &gradients.norm, threads: threads)
        let s = dZ.shape[0], t = dZ.shape[2], v = dZ.shape[3], rows = outputChannels * t, k = partitions
        var partialA = [Float](repeating: 0, count: s * k * v * v)
        let dY = Tensor(uninitialized: saved.projected.shape) { dy in
            dZ.withUnsafeBufferPointer { dz in
                saved.projected.withUnsafeBufferPointer { y in
                    saved.effective.withUnsafeBufferPointer { a in
                        partialA.withUnsafeMutableBufferPointer { dA in
                            let dyBase = dy.baseAddress!, dzBase = dz.baseAddress!, yBase = y.baseAddress!, aBase = a.baseAddress!, dABase = dA.baseAddress!
                            Parallel.forEach(s, threads: threads) { _, n in
                                for partition in 0..<k {
                                    let block = (n * k + partition) * rows * v
                                    // dY_k (Cout·T, V) = dZ (Cout·T, V) · A_kᵀ
                                    GEMM.sgemm(dyBase + block, dzBase + n * rows * v, aBase + partition * v * v, m: rows, n: v, k: v, transposeB: true)
                                    // dA_k (V, V) = Y_kᵀ (V, Cout·T) · dZ (Cout·T, V)
                                    GEMM.sgemm(dABase + (n * k + partition) * v * v, yBase + block, dzBase + n * rows * v, m: v, n: v, k: rows, transposeA: true)
                                }
                            }
                        }
                    }
                }
            }
        }
        var dEffective = [Float](repeating: 0, count: k * v * v)
        for n in 0..<s { for i in dEffective.indices { dEffective[i] += partialA[n * k * v * v + i] } }
        switch adaptiveMode {
        case .initial:
            for i in dEffective.indices { gradients.adjacency.storage[i] += dEffective[i] }
        case .offset:
            for i in dEffective.indices { gradients.adaptive!.storage[i] += dEffective[i] }
        case .importance:
            for i in dEffective.indices { gradients.adaptive!.storage[i] += dEffective[i] * parameters.adjacency.storage[i] }
        case .none:
            break
        }
        var dInput = conv.backward(dY, saved.conv, parameters.conv, into: &gradients.conv, threads: threads)
        residual.backward(dPre, through: down, saved.down, parameters.down, into: &gradients.down, addingTo: &dInput, threads: threads)
        return dInput
    }
}
