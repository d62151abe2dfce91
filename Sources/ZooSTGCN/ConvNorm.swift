// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, Kt temporal kernel size.
import ZooTensor

/// A temporal convolution followed by an optional BatchNorm and an optional ReLU: MMAction2 1.x `unit_tcn`
/// (`conv`, `bn`; `norm=None` drops the BN), the `down`/`residual` 1x1 convolutions, and the
/// `Conv2d, BatchNorm2d, ReLU` heads of the `mstcn` branches.
///
/// Shapes: (S, Cin, T, V) -> (S, Cout, T', V).
public struct ConvNorm: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var conv: TemporalConv.Parameters
        public var norm: BatchNorm.Parameters?
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var norm: BatchNorm.Buffers?
    }

    public struct Saved: Sendable {
        let conv: TemporalConv.Saved
        let norm: BatchNorm.Saved?
        let output: Tensor?  // kept for the ReLU mask
    }

    public let conv: TemporalConv
    public let normalized: Bool
    public let relu: Bool

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int = 1, stride: Int = 1, dilation: Int = 1,
                normalized: Bool = true, relu: Bool = false) {
        precondition(normalized || !relu, "ConvNorm applies its ReLU after the BN")
        conv = TemporalConv(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride, dilation: dilation)
        self.normalized = normalized
        self.relu = relu
    }

    /// PyTorch's default-constructed values: zero convolution, BN weight 1, bias 0.
    public func makeParameters() -> Parameters {
        Parameters(conv: .init(weight: Tensor(zeros: [conv.outputChannels, conv.inputChannels, conv.kernelSize]), bias: Tensor(zeros: [conv.outputChannels])),
                   norm: normalized ? .init(channels: conv.outputChannels) : nil)
    }

    public func makeBuffers() -> Buffers { Buffers(norm: normalized ? .init(channels: conv.outputChannels) : nil) }

    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let (y, convSaved) = conv.forward(input, parameters.conv, saving: training, threads: threads)
        guard let normParameters = parameters.norm, var normBuffers = buffers.norm else {
            return (y, training ? Saved(conv: convSaved!, norm: nil, output: nil) : nil)
        }
        let (z, normSaved) = BatchNorm.forward(y, normParameters, &normBuffers, training: training, relu: relu, threads: threads)
        buffers.norm = normBuffers
        guard training, let convSaved else { return (z, nil) }
        return (z, Saved(conv: convSaved, norm: normSaved, output: relu ? z : nil))
    }

    /// Adds this layer's gradients and returns dInput; walks ReLU, BN, conv in reverse.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        var d = dOutput
        if let output = saved.output { d = STGCNBlock.reluBackward(d, output: output, threads: threads) }
        if let normSaved = saved.norm, let normParameters = parameters.norm, var normGradients = gradients.norm {
            d = BatchNorm.backward(d, normSaved, normParameters, into: &normGradients, threads: threads)
            gradients.norm = normGradients
        }
        return conv.backward(d, saved.conv, parameters.conv, into: &gradients.conv, threads: threads)
    }
}
