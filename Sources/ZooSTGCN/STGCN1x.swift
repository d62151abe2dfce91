// N clips, M persons, S = N*M sequences, C channels, T frames (T' after strides), V joints, K partitions.
//
// The `STGCN` backbone of MMAction2 1.x (`mmaction/models/backbones/stgcn.py`), which also builds ST-GCN++
// (`gcn_adaptive='init'`, `gcn_with_res=True`, `tcn_type='mstcn'`). Forward in eval and training mode, and
// backward, so both can be retrained. The head is ``Head`` (GCNHead pools exactly like 0.x's STGCNHead).
import ZooTensor

/// `STGCNBlock` of MMAction2 1.x: `out = ReLU(tcn(gcn(x)) + residual(x))`, residual 0, x, or `unit_tcn` 1x1.
public struct STGCN1xBlock: GCNBlock {
    public struct Parameters: Sendable, Equatable {
        public var gcn: UnitGCN.Parameters
        public var temporal: ConvNorm.Parameters?          // tcn (unit_tcn: tcn.conv, tcn.bn)
        public var multiScale: MultiScaleTCN.Parameters?   // tcn (mstcn)
        public var residual: ConvNorm.Parameters?          // residual.conv, residual.bn
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var gcn: UnitGCN.Buffers
        public var temporal: ConvNorm.Buffers?
        public var multiScale: MultiScaleTCN.Buffers?
        public var residual: ConvNorm.Buffers?
    }

    public struct Saved: Sendable {
        let gcn: UnitGCN.Saved
        let temporal: ConvNorm.Saved?
        let multiScale: MultiScaleTCN.Saved?
        let residual: ConvNorm.Saved?
        let output: Tensor
    }

    public let shape: BlockShape
    public let gcn: UnitGCN
    public let temporal: ConvNorm?
    public let multiScale: MultiScaleTCN?
    public let residual: ConvNorm?

    public init(_ shape: BlockShape, partitions: Int, adaptive: GCNAdaptive, gcnWithResidual: Bool, tcnKind: TCNKind) {
        self.shape = shape
        gcn = UnitGCN(inputChannels: shape.inputChannels, outputChannels: shape.outputChannels, partitions: partitions,
                      adaptive: adaptive, withResidual: gcnWithResidual)
        switch tcnKind {
        case .unit:
            temporal = ConvNorm(inputChannels: shape.outputChannels, outputChannels: shape.outputChannels, kernelSize: 9, stride: shape.stride)
            multiScale = nil
        case .multiScale:
            temporal = nil
            multiScale = MultiScaleTCN(channels: shape.outputChannels, stride: shape.stride)
        }
        residual = shape.residual == .convolution
            ? ConvNorm(inputChannels: shape.inputChannels, outputChannels: shape.outputChannels, stride: shape.stride) : nil
    }

    public func makeParameters(graph: Tensor) -> Parameters {
        Parameters(gcn: gcn.makeParameters(graph: graph), temporal: temporal?.makeParameters(), multiScale: multiScale?.makeParameters(),
                   residual: residual?.makeParameters())
    }

    public func makeBuffers() -> Buffers {
        Buffers(gcn: gcn.makeBuffers(), temporal: temporal?.makeBuffers(), multiScale: multiScale?.makeBuffers(), residual: residual?.makeBuffers())
    }

    /// - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T', V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let (residualOutput, residualSaved) = shape.residual.forward(input, through: residual, parameters.residual, &buffers.residual,
                                                                     training: training, threads: threads)
        let (g, gcnSaved) = gcn.forward(input, parameters.gcn, &buffers.gcn, training: training, threads: threads)
        var out: Tensor
        var temporalSaved: ConvNorm.Saved?, multiScaleSaved: MultiScaleTCN.Saved?
        if let temporal {
            var temporalBuffers = buffers.temporal!
            (out, temporalSaved) = temporal.forward(g, parameters.temporal!, &temporalBuffers, training: training, threads: threads)
            buffers.temporal = temporalBuffers
        } else {
            var multiScaleBuffers = buffers.multiScale!
            (out, multiScaleSaved) = multiScale!.forward(g, parameters.multiScale!, &multiScaleBuffers, training: training, threads: threads)
            buffers.multiScale = multiScaleBuffers
        }
        ResidualKind.addReLU(&out, residual: residualOutput, threads: threads)
        guard training, let gcnSaved else { return (out, nil) }
        return (out, Saved(gcn: gcnSaved, temporal: temporalSaved, multiScale: multiScaleSaved, residual: residualSaved, output: out))
    }

    /// Adds this block's gradients and returns dInput: ReLU, tcn, gcn in reverse, then the residual's dInput.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let dPre = STGCNBlock.reluBackward(dOutput, output: saved.output, threads: threads)
        let dG: Tensor
        if let temporal {
            var temporalGradients = gradients.temporal!
            dG = temporal.backward(dPre, saved.temporal!, parameters.temporal!, into: &temporalGradients, threads: threads)
            gradients.temporal = temporalGradients
        } else {
            var multiScaleGradients = gradients.multiScale!
            dG = multiScale!.backward(dPre, saved.multiScale!, parameters.multiScale!, into: &multiScaleGradients, threads: threads)
            gradients.multiScale = multiScaleGradients
        }
        var dInput = gcn.backward(dG, saved.gcn, parameters.gcn, into: &gradients.gcn, threads: threads)
        shape.residual.backward(dPre, through: residual, saved.residual, parameters.residual, into: &gradients.residual, addingTo: &dInput, threads: threads)
        return dInput
    }
}

/// The 1.x `STGCN` backbone: data BN, then the blocks. Input (N, M, T, V, C), output (N·M, C', T', V).
public struct STGCN1x: GCNBackbone {
    public struct Parameters: GCNStageValues {
        public var dataNorm: BatchNorm.Parameters?
        public var blocks: [STGCN1xBlock.Parameters]
    }

    public typealias Gradients = Parameters

    public struct Buffers: GCNStageValues {
        public var dataNorm: BatchNorm.Buffers?
        public var blocks: [STGCN1xBlock.Buffers]
    }

    public typealias Saved = GCNBackboneSaved<STGCN1xBlock.Saved>

    public let configuration: STGCN1xConfiguration
    public let graph: GCNGraph
    public let dataNorm: DataNorm
    public let blocks: [STGCN1xBlock]
    public var parameters: Parameters
    public var buffers: Buffers

    /// A backbone with PyTorch's default-constructed values and A from the graph; load or initialise before use.
    public init(configuration: STGCN1xConfiguration) throws(ModelConfigurationError) {
        self.configuration = configuration
        (graph, dataNorm, blocks) = try configuration.makeLayers { shape, graph in
            STGCN1xBlock(shape, partitions: graph.partitions, adaptive: configuration.gcnAdaptive,
                         gcnWithResidual: configuration.gcnWithResidual, tcnKind: configuration.tcnKind)
        }
        let adjacency = graph.adjacencyTensor
        parameters = Parameters(dataNorm: dataNorm.makeParameters(), blocks: blocks.map { $0.makeParameters(graph: adjacency) })
        buffers = Buffers(dataNorm: dataNorm.makeBuffers(), blocks: blocks.map { $0.makeBuffers() })
    }
}
