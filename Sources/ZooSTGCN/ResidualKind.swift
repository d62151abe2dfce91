// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints.
//
// The residual path of MMAction2 1.x's units and blocks (`unit_gcn.down`, `unit_aagcn.down`, the blocks'
// `residual`), and the `ReLU(main + residual)` that ends them: written once here for `UnitGCN`, `UnitAAGCN`,
// `STGCN1xBlock` and `AAGCNBlock`.
import ZooTensor

/// How a block's input reaches its output besides the main path.
public enum ResidualKind: Sendable, Equatable { case none, identity, convolution }

extension ResidualKind {
    /// The residual of `input` (S, Cin, T, V): nil (`none`), `input` (`identity`), or `layer`'s conv + BN output
    /// (S, Cout, T', V) (`convolution`, whose `parameters` and `buffers` are then present).
    func forward(_ input: Tensor, through layer: ConvNorm?, _ parameters: ConvNorm.Parameters?, _ buffers: inout ConvNorm.Buffers?,
                 training: Bool, threads: Int) -> (output: Tensor?, saved: ConvNorm.Saved?) {
        switch self {
        case .none:
            return (nil, nil)
        case .identity:
            return (input, nil)
        case .convolution:
            var layerBuffers = buffers!
            let (output, saved) = layer!.forward(input, parameters!, &layerBuffers, training: training, threads: threads)
            buffers = layerBuffers
            return (output, saved)
        }
    }

    /// Adds the residual's gradients for dOutput into `gradients`, and its dInput into `dInput` (dInput += dResidual).
    func backward(_ dOutput: Tensor, through layer: ConvNorm?, _ saved: ConvNorm.Saved?, _ parameters: ConvNorm.Parameters?,
                  into gradients: inout ConvNorm.Parameters?, addingTo dInput: inout Tensor, threads: Int) {
        switch self {
        case .none:
            break
        case .identity:
            STGCNBlock.addInPlace(&dInput, dOutput, threads: threads)
        case .convolution:
            var layerGradients = gradients!
            let dResidual = layer!.backward(dOutput, saved!, parameters!, into: &layerGradients, threads: threads)
            gradients = layerGradients
            STGCNBlock.addInPlace(&dInput, dResidual, threads: threads)
        }
    }

    /// `out = ReLU(out + residual)`, or `ReLU(out)` without a residual, elementwise in place.
    static func addReLU(_ out: inout Tensor, residual: Tensor?, threads: Int) {
        out.withUnsafeMutableBufferPointer { o in
            let base = o.baseAddress!
            if let residual {
                residual.withUnsafeBufferPointer { r in
                    let rBase = r.baseAddress!
                    Parallel.chunks(o.count, threads: threads) { range in for i in range { base[i] = max(0, base[i] + rBase[i]) } }
                }
            } else {
                Parallel.chunks(o.count, threads: threads) { range in for i in range { base[i] = max(0, base[i]) } }
            }
        }
    }
}
