// N clips, M persons, S = N*M sequences, C channels (Ce embedding), T frames, V joints, K partitions.
//
// The `AAGCN` backbone of MMAction2 1.x (`mmaction/models/backbones/aagcn.py`, `unit_aagcn` in
// `mmaction/models/utils/gcn_utils.py`) with `gcn_attention=False`: 2s-AGCN. Forward (eval) only: SkelZoo
// evaluates AAGCN checkpoints and does not retrain them (the issue allows forward only for AAGCN).
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
        down = inputChannels == outputChannels ? nil : ConvNorm(inputChannels: inputChannels, outputChannels: outputChannels)
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

    /// Eval forward. - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T, V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, threads: Int) -> Tensor {
        let s = input.shape[0], c = inputChannels, t = input.shape[2], v = input.shape[3], ce = embeddingChannels
        var y: Tensor?
        for k in 0..<partitions {
            // A_k' per sequence (S, V, V).
            let graph = Tensor(uninitialized: [s, v, v]) { out in
                let base = Array(parameters.adjacency.storage[(k * v * v)..<((k + 1) * v * v)])
                guard adaptive else {
                    for n in 0..<s { for i in 0..<v * v { out[n * v * v + i] = base[i] } }
                    return
                }
                let a = embed.forward(input, parameters.embedA[k], saving: false, threads: threads).output
                let b = embed.forward(input, parameters.embedB[k], saving: false, threads: threads).output
                let alpha = parameters.alpha.storage[0], scale = Float(ce * t)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        let outBase = out.baseAddress!, aBase = a.baseAddress!, bBase = b.baseAddress!
                        Parallel.forEach(s, threads: threads) { _, n in
                            let graphN = outBase + n * v * v
                            // S (V, V) = aᵀ (V, Ce·T) · b (Ce·T, V): torch.matmul(A1, A2) with A1 the permuted conv_a output.
                            GEMM.sgemm(graphN, aBase + n * ce * t * v, bBase + n * ce * t * v, m: v, n: v, k: ce * t, transposeA: true)
                            for i in 0..<v * v { graphN[i] = base[i] + Self.tanh(graphN[i] / scale) * alpha }
                        }
                    }
                }
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
            let z = convD.forward(mixed, parameters.convD[k], saving: false, threads: threads).output
            if y == nil { y = z } else { STGCNBlock.addInPlace(&y!, z, threads: threads) }
        }
        var normBuffers = buffers.norm
        var out = BatchNorm.forward(y!, parameters.norm, &normBuffers, training: false, threads: threads).output
        var residual = input
        if let down, let downParameters = parameters.down, var downBuffers = buffers.down {
            residual = down.forward(input, downParameters, &downBuffers, training: false, threads: threads).output
        }
        out.withUnsafeMutableBufferPointer { o in
            residual.withUnsafeBufferPointer { r in
                let base = o.baseAddress!, rBase = r.baseAddress!
                Parallel.chunks(o.count, threads: threads) { range in for i in range { base[i] = max(0, base[i] + rBase[i]) } }
            }
        }
        return out
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
public struct AAGCNBlock: Sendable {
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

    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: Buffers, threads: Int) -> Tensor {
        var temporalBuffers = buffers.temporal
        let g = gcn.forward(input, parameters.gcn, buffers.gcn, threads: threads)
        var out = temporal.forward(g, parameters.temporal, &temporalBuffers, training: false, threads: threads).output
        var residualOutput: Tensor?
        switch shape.residual {
        case .none: break
        case .identity: residualOutput = input
        case .convolution:
            var residualBuffers = buffers.residual!
            residualOutput = residual!.forward(input, parameters.residual!, &residualBuffers, training: false, threads: threads).output
        }
        out.withUnsafeMutableBufferPointer { o in
            let base = o.baseAddress!
            if let residualOutput {
                residualOutput.withUnsafeBufferPointer { r in
                    let rBase = r.baseAddress!
                    Parallel.chunks(o.count, threads: threads) { range in for i in range { base[i] = max(0, base[i] + rBase[i]) } }
                }
            } else {
                Parallel.chunks(o.count, threads: threads) { range in for i in range { base[i] = max(0, base[i]) } }
            }
        }
        return out
    }
}

/// The 1.x `AAGCN` backbone (attention off): `backbone.A`, data BN (`MVC` by default), then the blocks.
public struct AAGCN: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// `backbone.A` (K, V, V), a registered buffer the forward does not read (each block has its own A).
        public var adjacency: Tensor
        public var dataNorm: BatchNorm.Parameters?
        public var blocks: [AAGCNBlock.Parameters]
    }

    public struct Buffers: Sendable, Equatable {
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
        try configuration.validate()
        self.configuration = configuration
        let graph = try GCNGraph(layout: configuration.layout, mode: configuration.graphMode, maxHop: configuration.maxHop)
        self.graph = graph
        dataNorm = DataNorm(kind: configuration.dataNorm, persons: configuration.numPerson, joints: graph.jointCount, coordinates: configuration.inChannels)
        let blocks = configuration.blocks.map {
            AAGCNBlock($0, partitions: graph.partitions, adaptive: configuration.gcnAdaptive, coffEmbedding: configuration.coffEmbedding)
        }
        self.blocks = blocks
        let adjacency = graph.adjacencyTensor
        parameters = Parameters(adjacency: adjacency, dataNorm: dataNorm.makeParameters(), blocks: blocks.map {
            AAGCNBlock.Parameters(gcn: $0.gcn.makeParameters(graph: adjacency), temporal: $0.temporal.makeParameters(), residual: $0.residual?.makeParameters())
        })
        buffers = Buffers(dataNorm: dataNorm.makeBuffers(), blocks: blocks.map {
            AAGCNBlock.Buffers(gcn: $0.gcn.makeBuffers(), temporal: $0.temporal.makeBuffers(), residual: $0.residual?.makeBuffers())
        })
    }

    /// Eval-mode features. - Parameter input: (N, M, T, V, C). - Returns: (N·M, C', T', V).
    public func features(_ input: Tensor, threads: Int = 1) -> Tensor {
        var dataBuffers = buffers.dataNorm
        var x = dataNorm.forward(input, parameters.dataNorm, &dataBuffers, training: false, threads: threads).output
        for i in blocks.indices { x = blocks[i].forward(x, parameters.blocks[i], buffers.blocks[i], threads: threads) }
        return x
    }
}
