// S sequences, C channels (Cb per branch), T frames (T' after the stride), V joints.
import ZooTensor

/// `mstcn` of MMAction2 1.x (`mmaction/models/utils/gcn_utils.py`), ST-GCN++'s temporal module, with the
/// default `ms_cfg = [(3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1']`:
///
///     branch i < 4: conv1x1 → BN → ReLU → conv (3, 1) stride s, dilation i+1, pad i+1 (unit_tcn, norm=None)
///     branch 4:     conv1x1 → BN → ReLU → MaxPool (3, 1) stride s, pad 1 (padding never wins the max)
///     branch 5:     conv1x1 stride s
///     out = BN(conv1x1(ReLU(BN(concat(branches)))))        // transform.0/.1/.2, then bn; dropout 0
///
/// Branch 0 has `C − 5·(C / 6)` channels, the others `C / 6`.
public struct MultiScaleTCN: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// branches.i.0 / .1 (i < 5: conv1x1 + BN), branches.5 (conv only).
        public var heads: [ConvNorm.Parameters]
        /// branches.i.3.conv (i < 4).
        public var dilated: [TemporalConv.Parameters]
        public var transformNorm: BatchNorm.Parameters   // transform.0
        public var transform: TemporalConv.Parameters    // transform.2
        public var norm: BatchNorm.Parameters            // bn
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var heads: [ConvNorm.Buffers]
        public var transformNorm: BatchNorm.Buffers
        public var norm: BatchNorm.Buffers
    }

    public struct Saved: Sendable {
        let heads: [ConvNorm.Saved]
        let dilated: [TemporalConv.Saved]
        let poolArgmax: [Int32]          // for each pooled output, the input frame it came from
        let poolInputShape: [Int]
        let transformNorm: BatchNorm.Saved
        let activated: Tensor            // ReLU(BN(concat)), also the mask
        let transform: TemporalConv.Saved
        let norm: BatchNorm.Saved
    }

    public static let dilations = [1, 2, 3, 4]
    public static let branchCount = 6
    static let poolKernel = 3

    public let channels: Int
    public let stride: Int
    /// Channels per branch, in order.
    public let branchChannels: [Int]
    let heads: [ConvNorm]
    let dilated: [TemporalConv]
    let transform: TemporalConv

    public init(channels: Int, stride: Int) {
        self.channels = channels
        self.stride = stride
        let mid = channels / Self.branchCount
        let branchChannels = [channels - mid * (Self.branchCount - 1)] + [Int](repeating: mid, count: Self.branchCount - 1)
        self.branchChannels = branchChannels
        var heads: [ConvNorm] = []
        for (i, width) in branchChannels.enumerated() {
            heads.append(i < 5 ? ConvNorm(inputChannels: channels, outputChannels: width, normalized: true, relu: true)
                               : ConvNorm(inputChannels: channels, outputChannels: width, stride: stride, normalized: false))
        }
        self.heads = heads
        dilated = Self.dilations.enumerated().map { i, d in
            TemporalConv(inputChannels: branchChannels[i], outputChannels: branchChannels[i], kernelSize: 3, stride: stride, dilation: d)
        }
        transform = TemporalConv(inputChannels: channels, outputChannels: channels, kernelSize: 1, stride: 1)
    }

    public func makeParameters() -> Parameters {
        Parameters(heads: heads.map { $0.makeParameters() },
                   dilated: dilated.map { .init(weight: Tensor(zeros: [$0.outputChannels, $0.inputChannels, 3]), bias: Tensor(zeros: [$0.outputChannels])) },
                   transformNorm: .init(channels: channels),
                   transform: .init(weight: Tensor(zeros: [channels, channels, 1]), bias: Tensor(zeros: [channels])),
                   norm: .init(channels: channels))
    }

    public func makeBuffers() -> Buffers {
        Buffers(heads: heads.map { $0.makeBuffers() }, transformNorm: .init(channels: channels), norm: .init(channels: channels))
    }

    public func outputFrames(_ frames: Int) -> Int { (frames - 1) / stride + 1 }

    /// - Parameter input: (S, C, T, V). - Returns: (S, C, T', V).
    public func forward(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, training: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let s = input.shape[0], t = input.shape[2], v = input.shape[3], tOut = outputFrames(t)
        var branchOutputs: [Tensor] = []
        var headSaved: [ConvNorm.Saved] = [], dilatedSaved: [TemporalConv.Saved] = []
        var argmax: [Int32] = [], poolInputShape: [Int] = []
        for i in 0..<Self.branchCount {
            let (h, hs) = heads[i].forward(input, parameters.heads[i], &buffers.heads[i], training: training, threads: threads)
            if let hs { headSaved.append(hs) }
            if i < Self.dilations.count {
                let (u, us) = dilated[i].forward(h, parameters.dilated[i], saving: training, threads: threads)
                if let us { dilatedSaved.append(us) }
                branchOutputs.append(u)
            } else if i == Self.dilations.count {
                let (u, indices) = Self.maxPool(h, stride: stride, outFrames: tOut, threads: threads)
                if training { argmax = indices; poolInputShape = h.shape }
                branchOutputs.append(u)
            } else {
                branchOutputs.append(h)
            }
        }
        let joined = Self.concatenate(branchOutputs, sequences: s, plane: tOut * v)
        let (activated, transformNormSaved) = BatchNorm.forward(joined, parameters.transformNorm, &buffers.transformNorm, training: training, relu: true, threads: threads)
        let (y, transformSaved) = transform.forward(activated, parameters.transform, saving: training, threads: threads)
        let (out, normSaved) = BatchNorm.forward(y, parameters.norm, &buffers.norm, training: training, threads: threads)
        guard training, let transformNormSaved, let transformSaved, let normSaved else { return (out, nil) }
        return (out, Saved(heads: headSaved, dilated: dilatedSaved, poolArgmax: argmax, poolInputShape: poolInputShape,
                           transformNorm: transformNormSaved, activated: activated, transform: transformSaved, norm: normSaved))
    }

    /// Adds this module's gradients and returns dInput: the branches' dInputs are summed in branch order.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients, threads: Int) -> Tensor {
        let dY = BatchNorm.backward(dOutput, saved.norm, parameters.norm, into: &gradients.norm, threads: threads)
        let dActivated = transform.backward(dY, saved.transform, parameters.transform, into: &gradients.transform, threads: threads)
        let dJoined = BatchNorm.backward(STGCNBlock.reluBackward(dActivated, output: saved.activated, threads: threads),
                                         saved.transformNorm, parameters.transformNorm, into: &gradients.transformNorm, threads: threads)
        let s = dJoined.shape[0], plane = dJoined.shape[2] * dJoined.shape[3]
        let parts = Self.split(dJoined, widths: branchChannels, sequences: s, plane: plane)
        var dInput: Tensor?
        for i in 0..<Self.branchCount {
            var dHead = parts[i]
            if i < Self.dilations.count {
                dHead = dilated[i].backward(parts[i], saved.dilated[i], parameters.dilated[i], into: &gradients.dilated[i], threads: threads)
            } else if i == Self.dilations.count {
                dHead = Self.maxPoolBackward(parts[i], argmax: saved.poolArgmax, inputShape: saved.poolInputShape)
            }
            let dBranch = heads[i].backward(dHead, saved.heads[i], parameters.heads[i], into: &gradients.heads[i], threads: threads)
            if dInput == nil { dInput = dBranch } else { STGCNBlock.addInPlace(&dInput!, dBranch, threads: threads) }
        }
        return dInput!
    }

    // MARK: - Kernels

    /// MaxPool2d((3, 1), stride (s, 1), padding (1, 0)): the first maximum in kernel order wins, as PyTorch's CPU kernel
    /// (`val > max`) picks it. Returns the output (S, C, T', V) and each output's source index in the input.
    static func maxPool(_ input: Tensor, stride: Int, outFrames: Int, threads: Int) -> (Tensor, [Int32]) {
        let s = input.shape[0], c = input.shape[1], t = input.shape[2], v = input.shape[3]
        var indices = [Int32](repeating: 0, count: s * c * outFrames * v)
        let output = Tensor(uninitialized: [s, c, outFrames, v]) { out in
            input.withUnsafeBufferPointer { x in
                indices.withUnsafeMutableBufferPointer { idx in
                    let outBase = out.baseAddress!, xBase = x.baseAddress!, idxBase = idx.baseAddress!
                    Parallel.forEach(s * c, threads: threads) { _, plane in
                        for frame in 0..<outFrames {
                            for joint in 0..<v {
                                var best = -Float.infinity, bestIndex = -1
                                for k in 0..<poolKernel {
                                    let source = frame * stride + k - 1
                                    guard source >= 0 && source < t else { continue }
                                    let index = (plane * t + source) * v + joint
                                    let value = xBase[index]
                                    if value > best || value.isNaN || bestIndex < 0 { best = value; bestIndex = index }
                                }
                                let o = (plane * outFrames + frame) * v + joint
                                outBase[o] = best
                                idxBase[o] = Int32(bestIndex)
                            }
                        }
                    }
                }
            }
        }
        return (output, indices)
    }

    /// Adjoint of ``maxPool(_:stride:outFrames:threads:)``: each output's gradient goes to its source (summed in output order).
    static func maxPoolBackward(_ dOutput: Tensor, argmax: [Int32], inputShape: [Int]) -> Tensor {
        var dInput = Tensor(zeros: inputShape)
        for i in 0..<dOutput.count { dInput.storage[Int(argmax[i])] += dOutput.storage[i] }
        return dInput
    }

    /// Concatenates (S, C_i, P) tensors along channels.
    static func concatenate(_ parts: [Tensor], sequences s: Int, plane: Int) -> Tensor {
        let total = parts.reduce(0) { $0 + $1.shape[1] }
        var result = Tensor(zeros: [s, total, parts[0].shape[2], parts[0].shape[3]])
        var offset = 0
        for part in parts {
            let width = part.shape[1]
            for n in 0..<s {
                let destination = (n * total + offset) * plane
                result.storage.withUnsafeMutableBufferPointer { r in
                    part.storage.withUnsafeBufferPointer { p in
                        (r.baseAddress! + destination).update(from: p.baseAddress! + n * width * plane, count: width * plane)
                    }
                }
            }
            offset += width
        }
        return result
    }

    /// The inverse of ``concatenate(_:sequences:plane:)``.
    static func split(_ joined: Tensor, widths: [Int], sequences s: Int, plane: Int) -> [Tensor] {
        let total = joined.shape[1]
        var offset = 0
        return widths.map { width in
            defer { offset += width }
            return Tensor(uninitialized: [s, width, joined.shape[2], joined.shape[3]]) { out in
                joined.storage.withUnsafeBufferPointer { j in
                    for n in 0..<s {
                        (out.baseAddress! + n * width * plane).update(from: j.baseAddress! + (n * total + offset) * plane, count: width * plane)
                    }
                }
            }
        }
    }
}
