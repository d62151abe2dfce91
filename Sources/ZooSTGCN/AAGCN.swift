// N clips, M persons, S = N*M sequences, C channels (Ce embedding), T frames, V joints, K partitions.
//
// The `AAGCN` backbone of MMAction2 1.x (`mmaction/models/backbones/aagcn.py`, `unit_aagcn` in
// `mmaction/models/utils/gcn_utils.py`) with `gcn_attention=False`: 2s-AGCN. Forward in eval and training mode,
// and backward.
import ZooTensor

/// `unit_aagcn` without attention:
///
///     for each partition k:
///         S_k = tanh(conv_a_k(x)ᵀ · conv_b_k(x) / (Ce·T))     // (V, V) per sequence, embeddings viewed (Ce·T, V)
///         A_k' = A_k + alpha · S_k                              // adaptive=False: A_k' = A_k
///         y  += conv_d_k(x · A_k')                              // x viewed (C·T, V)
///     out = ReLU(BN(y) + down(x))                               // down: conv1x1 + BN when Cin != Cout, else x
public struct UnitAAGCN: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var adjacency: Tensor                  // gcn.A (K, V, V), a parameter
        public var alpha: Tensor                      // gcn.alpha (1)
        public var embedA: [TemporalConv.Parameters]  // gcn.conv_a.k
        public var embedB: [TemporalConv.Parameters]  // gcn.conv_b.k
        public var convD: [TemporalConv.Parameters]   // gcn.conv_d.k
        public var down: ConvNorm.Parameters?         // gcn.down.0 / .1
        public var norm: BatchNorm.Parameters         // gcn.bn
    }

    public struct Buffers: Sendable, Equatable {
        public var down: ConvNorm.Buffers?
        public var norm: BatchNorm.Buffers
    }

    public let inputChannels: Int
    public let outputChannels: Int
    public let embeddingChannels: Int
    public let partitions: Int
    public let adaptive: Bool
    /// `down`: identity when the channels match, else conv1x1 + BN.
    public let residual: ResidualKind
    let embed: TemporalConv
    let convD: TemporalConv
    let down: ConvNorm?

    public init(inputChannels: Int, outputChannels: Int, partitions: Int, adaptive: Bool, coffEmbedding: Int) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        embeddingChannels = outputChannels / coffEmbedding
        self.partitions = partitions
        self.adaptive = adaptive
        embed = TemporalConv(inputChannels: inputChannels, outputChannels: embeddingChannels, kernelSize: 1, stride: 1)
        convD = TemporalConv(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, stride: 1)
        residual = inputChannels == outputChannels ? .identity : .convolution
        down = residual == .convolution ? ConvNorm(inputChannels: inputChannels, outputChannels: outputChannels) : nil
    }

    public func makeParameters(graph: Tensor) -> Parameters {
        func conv(_ layer: TemporalConv) -> TemporalConv.Parameters {
            .init(weight: Tensor(zeros: [layer.outputChannels, layer.inputChannels, 1]), bias: Tensor(zeros: [layer.outputChannels]))
        }
        return Parameters(adjacency: graph, alpha: Tensor(zeros: [1]),
                          embedA: adaptive ? (0..<partitions).map { _ in conv(embed) } : [],
                          embedB: adaptive ? (0..<partitions).map { _ in conv(embed) } : [],
                          convD: (0..<partitions).map { _ in conv(convD) }, down: down?.makeParameters(), norm: .init(channels: outputChannels))
    }

    public func makeBuffers() -> Buffers { Buffers(down: down?.makeBuffers(), norm: .init(channels: outputChannels)) }

    public typealias Gradients = Parameters

    /// What training-mode `forward` keeps for `backward`.
    public struct Saved: Sendable {
        let input: Tensor                   // x (S, Cin, T, V), also the embeddings' saved input
        let embedA: [Tensor]                // conv_a_k(x) (S, Ce, T, V)
        let embedB: [Tensor]
        let tanh: [Tensor]                  // tanh(S_k / (Ce·T)) (S, V, V)
        let graphs: [Tensor]                // A_k' (S, V, V)
        let convD: [TemporalConv.Saved]
        let norm: BatchNorm.Saved
        let down: ConvNorm.Saved?
        let output: Tensor                  // ReLU mask
    }

    /// Eval forward. - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T, V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, threads: Int) -> Tensor {
        var buffers = buffers
        return forward(input, parameters, &buffers, training: false, threads: threads).output
    }

    /// - Parameters:
    ///   - input: (S, Cin, T, V).
    ///   - training: BN batch statistics (running statistics updated) and saved state for ``backward(_:_:_:into:threads:)``.
    /// - Returns: (S, Cout, T, V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let s = input.shape[0], c = inputChannels, t = input.shape[2], v = input.shape[3], ce = embeddingChannels
        var y: Tensor?
        var embedA: [Tensor] = [], embedB: [Tensor] = [], tanhs: [Tensor] = [], graphs: [Tensor] = [], convDSaved: [TemporalConv.Saved] = []
        for k in 0..<partitions {
            let base = Array(parameters.adjacency.storage[(k * v * v)..<((k + 1) * v * v)])
            // A_k' per sequence (S, V, V), and tanh(S_k / (Ce·T)) when adaptive.
            var graph = Tensor(zeros: [s, v, v]), activation = Tensor(zeros: [0])
            if adaptive {
                let a = embed.forward(input, parameters.embedA[k], saving: false, threads: threads).output
                let b = embed.forward(input, parameters.embedB[k], saving: false, threads: threads).output
                let alpha = parameters.alpha.storage[0], scale = Float(ce * t)
                activation = Tensor(zeros: [s, v, v])
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        graph.withUnsafeMutableBufferPointer { g in
                            activation.withUnsafeMutableBufferPointer { th in
                                let gBase = g.baseAddress!, thBase = th.baseAddress!, aBase = a.baseAddress!, bBase = b.baseAddress!
                                Parallel.forEach(s, threads: threads) { _, n in
                                    let graphN = gBase + n * v * v, thN = thBase + n * v * v
                                    // S (V, V) = aᵀ (V, Ce·T) · b (Ce·T, V): torch.matmul(A1, A2) with A1 the permuted conv_a output.
                                    GEMM.sgemm(graphN, aBase + n * ce * t * v, bBase + n * ce * t * v, m: v, n: v, k: ce * t, transposeA: true)
                                    for i in 0..<v * v {
                                        thN[i] = Self.tanh(graphN[i] / scale)
                                        graphN[i] = base[i] + thN[i] * alpha
                                    }
                                }
                            }
                        }
                    }
                }
                if training { embedA.append(a); embedB.append(b) }
            } else {
                for n in 0..<s { for i in 0..<v * v { graph.storage[n * v * v + i] = base[i] } }
            }
            // x · A_k' per sequence: (C·T, V) · (V, V).
            let mixed = Tensor(uninitialized: input.shape) { out in
                input.withUnsafeBufferPointer { x in
                    graph.withUnsafeBufferPointer { g in
                        let outBase = out.baseAddress!, xBase = x.baseAddress!, gBase = g.baseAddress!
                        Parallel.forEach(s, threads: threads) { _, n in
                            GEMM.sgemm(outBase + n * c * t * v, xBase + n * c * t * v, gBase + n * v * v, m: c * t, n: v, k: v)
                        }
                    }
                }
            }
            let (z, zSaved) = convD.forward(mixed, parameters.convD[k], saving: training, threads: threads)
            if let zSaved { convDSaved.append(zSaved); tanhs.append(activation); graphs.append(graph) }
            if y == nil { y = z } else { STGCNBlock.addInPlace(&y!, z, threads: threads) }
        }
        var (out, normSaved) = BatchNorm.forward(y!, parameters.norm, &buffers.norm, training: training, threads: threads)
        let (residualOutput, downSaved) = residual.forward(input, through: down, parameters.down, &buffers.down, training: training, threads: threads)
        ResidualKind.addReLU(&out, residual: residualOutput, threads: threads)
        guard training, let normSaved else { return (out, nil) }
        return (out, Saved(input: input, embedA: embedA, embedB: embedB, tanh: tanhs, graphs: graphs, convD: convDSaved,
                           norm: normSaved, down: downSaved, output: out))
    }

    /// Adds this unit's gradients and returns dInput. Walks ReLU, BN, then per partition conv_d, x·A', A', the embeddings:
    ///
    ///     mixed = X·A'  (X (C·T, V)):  dX += dMixed·A'ᵀ,  dA' = Xᵀ·dMixed
    ///     A' = A + alpha·th, th = tanh(S / (Ce·T)):  dA += dA',  dalpha += Σ dA' ⊙ th,  dS = alpha·dA' ⊙ (1 − th²) / (Ce·T)
    ///     S = aᵀ·b (a, b (Ce·T, V)):  da = b·dSᵀ,  db = a·dS,  then conv_a / conv_b backward add into dX
    ///
    /// Per-sequence partial sums of dA and dalpha are reduced in sequence order (thread-count independent).
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let dPre = STGCNBlock.reluBackward(dOutput, output: saved.output, threads: threads)
        let dY = BatchNorm.backward(dPre, saved.norm, parameters.norm, into: &gradients.norm, threads: threads)
        let input = saved.input
        let s = input.shape[0], c = inputChannels, t = input.shape[2], v = input.shape[3], ce = embeddingChannels, rows = c * t
        var dInput = Tensor(zeros: input.shape)
        let embedSaved = TemporalConv.Saved(input: input)
        for k in 0..<partitions {
            let dMixed = convD.backward(dY, saved.convD[k], parameters.convD[k], into: &gradients.convD[k], threads: threads)
            var dGraph = Tensor(zeros: [s, v, v])
            dInput.withUnsafeMutableBufferPointer { dx in
                dGraph.withUnsafeMutableBufferPointer { dg in
                    dMixed.withUnsafeBufferPointer { dm in
                        input.withUnsafeBufferPointer { x in
                            saved.graphs[k].withUnsafeBufferPointer { g in
                                let dxBase = dx.baseAddress!, dgBase = dg.baseAddress!, dmBase = dm.baseAddress!, xBase = x.baseAddress!, gBase = g.baseAddress!
                                Parallel.forEach(s, threads: threads) { _, n in
                                    // dX (C·T, V) += dMixed (C·T, V) · A'ᵀ (V, V)
                                    GEMM.sgemm(dxBase + n * rows * v, dmBase + n * rows * v, gBase + n * v * v, m: rows, n: v, k: v,
                                               transposeB: true, accumulate: true)
                                    // dA' (V, V) = Xᵀ (V, C·T) · dMixed (C·T, V)
                                    GEMM.sgemm(dgBase + n * v * v, xBase + n * rows * v, dmBase + n * rows * v, m: v, n: v, k: rows, transposeA: true)
                                }
                            }
                        }
                    }
                }
            }
            guard adaptive else { continue }  // A is a buffer: no gradient
            let alpha = parameters.alpha.storage[0], scale = Float(ce * t)
            var dAlpha = 0.0
            var dS = Tensor(zeros: [s, v, v])
            for n in 0..<s {
                for i in 0..<v * v {
                    let g = dGraph.storage[n * v * v + i], th = saved.tanh[k].storage[n * v * v + i]
                    gradients.adjacency.storage[k * v * v + i] += g
                    dAlpha += Double(g * th)
                    dS.storage[n * v * v + i] = g * alpha * (1 - th * th) / scale
                }
            }
            gradients.alpha.storage[0] += Float(dAlpha)
            var dA = Tensor(zeros: [s, ce, t, v]), dB = Tensor(zeros: [s, ce, t, v])
            dA.withUnsafeMutableBufferPointer { da in
                dB.withUnsafeMutableBufferPointer { db in
                    dS.withUnsafeBufferPointer { ds in
                        saved.embedA[k].withUnsafeBufferPointer { a in
                            saved.embedB[k].withUnsafeBufferPointer { b in
                                let daBase = da.baseAddress!, dbBase = db.baseAddress!, dsBase = ds.baseAddress!, aBase = a.baseAddress!, bBase = b.baseAddress!
                                Parallel.forEach(s, threads: threads) { _, n in
                                    let offset = n * ce * t * v
                                    // da (Ce·T, V) = b · dSᵀ;  db (Ce·T, V) = a · dS
                                    GEMM.sgemm(daBase + offset, bBase + offset, dsBase + n * v * v, m: ce * t, n: v, k: v, transposeB: true)
                                    GEMM.sgemm(dbBase + offset, aBase + offset, dsBase + n * v * v, m: ce * t, n: v, k: v)
                                }
                            }
                        }
                    }
                }
            }
            STGCNBlock.addInPlace(&dInput, embed.backward(dA, embedSaved, parameters.embedA[k], into: &gradients.embedA[k], threads: threads), threads: threads)
            STGCNBlock.addInPlace(&dInput, embed.backward(dB, embedSaved, parameters.embedB[k], into: &gradients.embedB[k], threads: threads), threads: threads)
        }
        // Residual: down (conv1x1 + BN) or identity; its dInput is summed explicitly.
        residual.backward(dPre, through: down, saved.down, parameters.down, into: &gradients.down, addingTo: &dInput, threads: threads)
        return dInput
    }

    /// tanh in Double from ``PortableMath/exp(_:)-(Double)``: sign(x)·(1 − e^(−2|x|)) / (1 + e^(−2|x|)).
    static func tanh(_ x: Float) -> Float {
        let magnitude = Double(abs(x))
        let e = PortableMath.exp(-2 * magnitude)
        let result = Float((1 - e) / (1 + e))
        return x < 0 ? -result : result
    }
}

/// `AAGCNBlock`: `ReLU(tcn(gcn(x)) + residual(x))`, tcn = unit_tcn 9x1, residual 0, x, or unit_tcn 1x1.
public struct AAGCNBlock: GCNBlock {
    public struct Parameters: Sendable, Equatable {
        public var gcn: UnitAAGCN.Parameters
        public var temporal: ConvNorm.Parameters
        public var residual: ConvNorm.Parameters?
    }

    public struct Buffers: Sendable, Equatable {
        public var gcn: UnitAAGCN.Buffers
        public var temporal: ConvNorm.Buffers
        public var residual: ConvNorm.Buffers?
    }

    public let shape: BlockShape
    public let gcn: UnitAAGCN
    public let temporal: ConvNorm
    public let residual: ConvNorm?

    public init(_ shape: BlockShape, partitions: Int, adaptive: Bool, coffEmbedding: Int) {
        self.shape = shape
        gcn = UnitAAGCN(inputChannels: shape.inputChannels, outputChannels: shape.outputChannels, partitions: partitions,
                        adaptive: adaptive, coffEmbedding: coffEmbedding)
        temporal = ConvNorm(inputChannels: shape.outputChannels, outputChannels: shape.outputChannels, kernelSize: 9, stride: shape.stride)
        residual = shape.residual == .convolution
            ? ConvNorm(inputChannels: shape.inputChannels, outputChannels: shape.outputChannels, stride: shape.stride) : nil
    }

    /// PyTorch's default-constructed values with A = `graph`.
    public func makeParameters(graph: Tensor) -> Parameters {
        Parameters(gcn: gcn.makeParameters(graph: graph), temporal: temporal.makeParameters(), residual: residual?.makeParameters())
    }

    public func makeBuffers() -> Buffers {
        Buffers(gcn: gcn.makeBuffers(), temporal: temporal.makeBuffers(), residual: residual?.makeBuffers())
    }

    public typealias Gradients = Parameters

    public struct Saved: Sendable {
        let gcn: UnitAAGCN.Saved
        let temporal: ConvNorm.Saved
        let residual: ConvNorm.Saved?
        let output: Tensor
    }

    /// Eval forward.
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, threads: Int) -> Tensor {
        var buffers = buffers
        return forward(input, parameters, &buffers, training: false, threads: threads).output
    }

    /// - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T', V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let (g, gcnSaved) = gcn.forward(input, parameters.gcn, &buffers.gcn, training: training, threads: threads)
        var (out, temporalSaved) = temporal.forward(g, parameters.temporal, &buffers.temporal, training: training, threads: threads)
        let (residualOutput, residualSaved) = shape.residual.forward(input, through: residual, parameters.residual, &buffers.residual,
                                                                     training: training, threads: threads)
        ResidualKind.addReLU(&out, residual: residualOutput, threads: threads)
        guard training, let gcnSaved, let temporalSaved else { return (out, nil) }
        return (out, Saved(gcn: gcnSaved, temporal: temporalSaved, residual: residualSaved, output: out))
    }

    /// Adds this block's gradients and returns dInput: ReLU, tcn, gcn in reverse, then the residual's dInput.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let dPre = STGCNBlock.reluBackward(dOutput, output: saved.output, threads: threads)
        let dG = temporal.backward(dPre, saved.temporal, parameters.temporal, into: &gradients.temporal, threads: threads)
        var dInput = gcn.backward(dG, saved.gcn, parameters.gcn, into: &gradients.gcn, threads: threads)
        shape.residual.backward(dPre, through: residual, saved.residual, parameters.residual, into: &gradients.residual, addingTo: &dInput, threads: threads)
        return dInput
    }
}

/// The 1.x `AAGCN` backbone (attention off): `backbone.A`, data BN (`MVC` by default), then the blocks.
public struct AAGCN: GCNBackbone {
    public struct Parameters: GCNStageValues {
        /// `backbone.A` (K, V, V), a registered buffer the forward does not read (each block has its own A).
        public var adjacency: Tensor
        public var dataNorm: BatchNorm.Parameters?
        public var blocks: [AAGCNBlock.Parameters]
    }

    public struct Buffers: GCNStageValues {
        public var dataNorm: BatchNorm.Buffers?
        public var blocks: [AAGCNBlock.Buffers]
    }

    public let configuration: AAGCNConfiguration
    public let graph: GCNGraph
    public let dataNorm: DataNorm
    public let blocks: [AAGCNBlock]
    public var parameters: Parameters
    public var buffers: Buffers

    public init(configuration: AAGCNConfiguration) throws(ModelConfigurationError) {
        self.configuration = configuration
        (graph, dataNorm, blocks) = try configuration.makeLayers { shape, graph in
            AAGCNBlock(shape, partitions: graph.partitions, adaptive: configuration.gcnAdaptive, coffEmbedding: configuration.coffEmbedding)
        }
        let adjacency = graph.adjacencyTensor
        parameters = Parameters(adjacency: adjacency, dataNorm: dataNorm.makeParameters(), blocks: blocks.map { $0.makeParameters(graph: adjacency) })
        buffers = Buffers(dataNorm: dataNorm.makeBuffers(), blocks: blocks.map { $0.makeBuffers() })
    }

    public typealias Gradients = Parameters

    public typealias Saved = GCNBackboneSaved<AAGCNBlock.Saved>
}
