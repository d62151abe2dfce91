// N clips, M persons, S = N*M sequences, C channels, T frames (T' after strides), V joints.
//
// What MMAction2 1.x's skeleton backbones (`STGCN`, `AAGCN`) share, written once: the data BN, then the blocks in
// order (`x = self.data_bn(x); for i in range(self.num_stages): x = self.gcn[i](x)`); backward walks the blocks in
// reverse, then the data BN. Their state_dict tables differ and stay with each backbone; loading by a table does not.
import ZooTensor
import ZooTorch

/// A block of a 1.x backbone: `ReLU(tcn(gcn(x)) + residual(x))`. A training-mode forward keeps what backward needs.
public protocol GCNBlock: Sendable {
    associatedtype Parameters: Sendable, Equatable
    associatedtype Buffers: Sendable, Equatable
    associatedtype Saved: Sendable

    /// - Parameter input: (S, Cin, T, V). - Returns: (S, Cout, T', V), and in training the saved state.
    func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?)
    /// Adds this block's gradients and returns dInput.
    func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Parameters, threads: Int) -> Tensor
}

/// A 1.x backbone's parameters or buffers as the stage loop reads them: the data BN's (nil for `data_bn_type='None'`),
/// then one value per block.
public protocol GCNStageValues: Sendable, Equatable {
    associatedtype Norm
    associatedtype Block
    var dataNorm: Norm? { get set }
    var blocks: [Block] { get set }
}

/// What a 1.x backbone's training-mode forward keeps for its backward.
public struct GCNBackboneSaved<BlockSaved: Sendable>: Sendable {
    let dataNorm: BatchNorm.Saved?
    let blocks: [BlockSaved]
}

/// A 1.x skeleton backbone: data BN, then blocks. Input (N, M, T, V, C), features (N·M, C', T', V).
public protocol GCNBackbone: Sendable {
    associatedtype Block: GCNBlock
    associatedtype Parameters: GCNStageValues where Parameters.Norm == BatchNorm.Parameters, Parameters.Block == Block.Parameters
    associatedtype Buffers: GCNStageValues where Buffers.Norm == BatchNorm.Buffers, Buffers.Block == Block.Buffers

    var graph: GCNGraph { get }
    var dataNorm: DataNorm { get }
    var blocks: [Block] { get }
    var parameters: Parameters { get set }
    var buffers: Buffers { get set }
    /// Every `backbone.*` state_dict key, in PyTorch's order, with its shape and slot.
    var stateEntries: [GCNStateEntry<Parameters, Buffers>] { get }
}

extension GCNBackbone {
    /// - Parameters:
    ///   - input: (N, M, T, V, C) with M = `num_person` (checked by the caller, ``RecognizerGCN``).
    ///   - training: batch statistics in every BN (running stats updated) and saved state for ``backward(_:_:into:threads:)``.
    /// - Returns: features (N·M, C', T', V).
    public mutating func forward(_ input: Tensor, training: Bool = false, threads: Int = 1) -> (features: Tensor, saved: GCNBackboneSaved<Block.Saved>?) {
        var (x, dataSaved) = dataNorm.forward(input, parameters.dataNorm, &buffers.dataNorm, training: training, threads: threads)
        var saved: [Block.Saved] = []
        for i in blocks.indices {
            let (y, blockSaved) = blocks[i].forward(x, parameters.blocks[i], &buffers.blocks[i], training: training, threads: threads)
            if let blockSaved { saved.append(blockSaved) }
            x = y
        }
        return (x, training ? GCNBackboneSaved(dataNorm: dataSaved, blocks: saved) : nil)
    }

    /// Eval-mode features without touching the model (BN running stats are only read in eval).
    public func features(_ input: Tensor, threads: Int = 1) -> Tensor {
        var copy = self
        return copy.forward(input, training: false, threads: threads).features
    }

    /// Adds every parameter's gradient for dFeatures (N·M, C', T', V); walks the blocks in reverse, then the data BN.
    public func backward(_ dFeatures: Tensor, _ saved: GCNBackboneSaved<Block.Saved>, into gradients: inout Parameters, threads: Int = 1) {
        var dx = dFeatures
        for i in blocks.indices.reversed() {
            dx = blocks[i].backward(dx, saved.blocks[i], parameters.blocks[i], into: &gradients.blocks[i], threads: threads)
        }
        dataNorm.backward(dx, saved.dataNorm, parameters.dataNorm, into: &gradients.dataNorm, threads: threads)
    }

    /// Zero gradients shaped like the parameters.
    public func zeroGradients() -> Parameters {
        var gradients = parameters
        for entry in stateEntries {
            switch entry.slot {
            case .parameter(let path), .fixed(let path): gradients[keyPath: path].zero()
            case .buffer, .counter: break
            }
        }
        return gradients
    }

    /// Loads the `backbone.*` keys of a 1.x state_dict (other keys are left to the head).
    public mutating func load(stateDict: [(name: String, tensor: StoredTensor)]) throws(StateDictError) {
        var (newParameters, newBuffers) = (parameters, buffers)
        try loadGCNState(stateDict, entries: stateEntries, parameters: &newParameters, buffers: &newBuffers, owning: ["backbone."])
        (parameters, buffers) = (newParameters, newBuffers)
    }

    /// Trainable parameters, as `sum(p.numel() for p in backbone.parameters())`.
    public var parameterCount: Int {
        stateEntries.reduce(0) { $0 + ($1.slot.isParameter ? $1.shape.reduce(1, *) : 0) }
    }
}
