// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, K spatial partitions.
import ZooTensor

/// One `st_gcn` block of MMAction2 0.x (`mmaction/models/backbones/stgcn.py`, `STGCNBlock`):
///
///     res = residual(x)                       // 0, x, or BN(conv1x1 stride s)(x)
///     g   = gcn(x, A ⊙ importance)            // 1x1 conv to K·Cout, einsum with A
///     h   = ReLU(BN(g))                       // tcn[0], tcn[1]
///     u   = BN(conv 9x1 stride s, pad 4 (h))  // tcn[2], tcn[3]
///     out = ReLU(Dropout(u) + res)            // tcn[4], relu
public struct STGCNBlock: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var gcn: GraphConv.Parameters
        public var gcnNorm: BatchNorm.Parameters          // tcn.0
        public var temporal: TemporalConv.Parameters      // tcn.2
        public var temporalNorm: BatchNorm.Parameters     // tcn.3
        public var residual: TemporalConv.Parameters?     // residual.0 (1x1, stride s)
        public var residualNorm: BatchNorm.Parameters?    // residual.1
        /// Edge importance (K, V, V); ones when importance weighting is off (and then not trained).
        public var importance: Tensor
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var gcnNorm: BatchNorm.Buffers
        public var temporalNorm: BatchNorm.Buffers
        public var residualNorm: BatchNorm.Buffers?
    }

    /// What training-mode `forward` keeps for `backward`.
    public struct Saved: Sendable {
        let gcn: GraphConv.Saved
        let gcnNorm: BatchNorm.Saved
        let activated: Tensor            // h, also the ReLU mask
        let temporal: TemporalConv.Saved
        let temporalNorm: BatchNorm.Saved
        let dropoutMask: [Float]?        // 0 or 1/(1-p) per element of u
        let residual: TemporalConv.Saved?
        let residualNorm: BatchNorm.Saved?
        let output: Tensor               // the final ReLU mask
        let adjacency: SparseAdjacency
    }

    public let gcn: GraphConv
    public let temporal: TemporalConv
    public let residualKind: STGCNConfiguration.ResidualKind
    public let residual: TemporalConv?
    public let dropout: Float

    public init(inputChannels: Int, outputChannels: Int, stride: Int, partitions: Int,
                residual: STGCNConfiguration.ResidualKind, dropout: Float) {
        gcn = GraphConv(inputChannels: inputChannels, outputChannels: outputChannels, partitions: partitions)
        temporal = TemporalConv(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 9, stride: stride)
        residualKind = residual
        self.residual = residual == .convolution
            ? TemporalConv(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, stride: stride) : nil
        self.dropout = dropout
    }

    /// - Parameters:
    ///   - input: (S, Cin, T, V).
    ///   - pattern: the graph's A (K, V, V), whose non-zeros A_eff keeps.
    ///   - dropoutRNG: the stream drawing this block's dropout mask in training (ignored when p = 0).
    /// - Returns: (S, Cout, T', V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, pattern: Tensor,
                        training: Bool, dropoutRNG: CounterRNG?, threads: Int) -> (output: Tensor, saved: Saved?) {
        let k = pattern.shape[0], v = pattern.shape[1]
        var effective = pattern.storage
        for i in effective.indices { effective[i] *= parameters.importance.storage[i] }
        let adjacency = SparseAdjacency(pattern: pattern.storage, effective: effective, partitions: k, joints: v)

        var residualOutput: Tensor?
        var residualSaved: TemporalConv.Saved?, residualNormSaved: BatchNorm.Saved?
        if let residual, let residualParameters = parameters.residual, let residualNorm = parameters.residualNorm,
           var residualBuffers = buffers.residualNorm {
            let (conv, convSaved) = residual.forward(input, residualParameters, saving: training, threads: threads)
            let (normed, normSaved) = BatchNorm.forward(conv, residualNorm, &residualBuffers, training: training, threads: threads)
            buffers.residualNorm = residualBuffers
            residualOutput = normed
            residualSaved = convSaved
            residualNormSaved = normSaved
        } else if residualKind == .identity {
            residualOutput = input
        }

        let (g, gcnSaved) = gcn.forward(input, parameters.gcn, adjacency: adjacency, saving: training, threads: threads)
        let (h, gcnNormSaved) = BatchNorm.forward(g, parameters.gcnNorm, &buffers.gcnNorm, training: training, relu: true, threads: threads)
        let (u, temporalSaved) = temporal.forward(h, parameters.temporal, saving: training, threads: threads)
        var (out, temporalNormSaved) = BatchNorm.forward(u, parameters.temporalNorm, &buffers.temporalNorm, training: training, threads: threads)

        var mask: [Float]?
        if training, dropout > 0, let dropoutRNG {
            let scale = 1 / (1 - dropout)
            mask = (0..<out.count).map { dropoutRNG.uniform(UInt64($0)) < dropout ? 0 : scale }
        }
        // Dropout, + residual, ReLU: elementwise, in parallel chunks.
        out.withUnsafeMutableBufferPointer { o in
            let base = o.baseAddress!
            (residualOutput ?? Tensor(zeros: [0])).withUnsafeBufferPointer { r in
                (mask ?? []).withUnsafeBufferPointer { m in
                    // Empty buffers may still have a base address: decide by what exists.
                    let rBase = residualOutput == nil ? nil : r.baseAddress, mBase = mask == nil ? nil : m.baseAddress
                    Parallel.chunks(o.count, threads: threads) { range in
                        for i in range {
                            var value = base[i]
                            if let mBase { value *= mBase[i] }
                            if let rBase { value += rBase[i] }
                            base[i] = max(0, value)
                        }
                    }
                }
            }
        }
        guard training, let gcnSaved, let gcnNormSaved, let temporalSaved, let temporalNormSaved else { return (out, nil) }
        return (out, Saved(gcn: gcnSaved, gcnNorm: gcnNormSaved, activated: h, temporal: temporalSaved,
                           temporalNorm: temporalNormSaved, dropoutMask: mask, residual: residualSaved,
                           residualNorm: residualNormSaved, output: out, adjacency: adjacency))
    }

    /// Adds this block's gradients into `gradients` and returns dInput. Walks the forward in reverse.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, pattern: Tensor,
                         into gradients: inout Gradients, threads: Int) -> Tensor {
        // out = ReLU(pre): dPre = dOut where out > 0.
        let dPre = Self.reluBackward(dOutput, output: saved.output, threads: threads)
        // Dropout: dU_bn = dPre * mask.
        var dNormed = dPre
        if let mask = saved.dropoutMask {
            dNormed.withUnsafeMutableBufferPointer { d in
                let base = d.baseAddress!
                mask.withUnsafeBufferPointer { m in
                    let mBase = m.baseAddress!
                    Parallel.chunks(d.count, threads: threads) { range in for i in range { base[i] *= mBase[i] } }
                }
            }
        }
        let dU = BatchNorm.backward(dNormed, saved.temporalNorm, parameters.temporalNorm, into: &gradients.temporalNorm, threads: threads)
        // h = ReLU(BN(g)).
        let dH = Self.reluBackward(temporal.backward(dU, saved.temporal, parameters.temporal, into: &gradients.temporal, threads: threads),
                                   output: saved.activated, threads: threads)
        let dG = BatchNorm.backward(dH, saved.gcnNorm, parameters.gcnNorm, into: &gradients.gcnNorm, threads: threads)
        var dEffective = [Float](repeating: 0, count: pattern.count)
        var dInput = gcn.backward(dG, saved.gcn, parameters.gcn, adjacency: saved.adjacency, into: &gradients.gcn,
                                  dAdjacency: &dEffective, threads: threads)
        // A_eff = A ⊙ importance: dImportance = dA_eff ⊙ A.
        for i in 0..<dEffective.count { gradients.importance.storage[i] += dEffective[i] * pattern.storage[i] }
        // Residual branch: its dInput is summed explicitly.
        switch residualKind {
        case .none:
            break
        case .identity:
            Self.addInPlace(&dInput, dPre, threads: threads)
        case .convolution:
            guard let residual, let residualParameters = parameters.residual, let residualNorm = parameters.residualNorm,
                  let residualSaved = saved.residual, let residualNormSaved = saved.residualNorm,
                  var residualGradients = gradients.residual, var residualNormGradients = gradients.residualNorm else {
                preconditionFailure("convolution residual without its parameters or saved state")
            }
            let dConv = BatchNorm.backward(dPre, residualNormSaved, residualNorm, into: &residualNormGradients, threads: threads)
            let dResidualInput = residual.backward(dConv, residualSaved, residualParameters, into: &residualGradients, threads: threads)
            gradients.residual = residualGradients
            gradients.residualNorm = residualNormGradients
            Self.addInPlace(&dInput, dResidualInput, threads: threads)
        }
        return dInput
    }

    /// dX = dY where the ReLU's output is positive, else 0.
    static func reluBackward(_ dOutput: Tensor, output: Tensor, threads: Int) -> Tensor {
        var result = dOutput
        result.withUnsafeMutableBufferPointer { d in
            let base = d.baseAddress!
            output.withUnsafeBufferPointer { o in
                let oBase = o.baseAddress!
                Parallel.chunks(d.count, threads: threads) { range in
                    Kernels.reluBackward(base + range.lowerBound, base + range.lowerBound, activation: oBase + range.lowerBound, count: range.count)
                }
            }
        }
        return result
    }

    /// a += b, elementwise.
    static func addInPlace(_ a: inout Tensor, _ b: Tensor, threads: Int) {
        a.withUnsafeMutableBufferPointer { x in
            let base = x.baseAddress!
            b.withUnsafeBufferPointer { y in
                let yBase = y.baseAddress!
                Parallel.chunks(x.count, threads: threads) { range in for i in range { base[i] += yBase[i] } }
            }
        }
    }
}
