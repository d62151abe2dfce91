import ZooTensor

/// `torch.optim.SGD(lr, momentum, weight_decay, nesterov, dampening=0)` with PyTorch's update order:
///
///     g = grad + wd·p
///     buf = g (first step) else momentum·buf + g
///     g = g + momentum·buf (nesterov) else buf
///     p = p − lr·g
///
/// Each line is a rounded multiply and a rounded add in this order, as PyTorch's non-foreach CPU path
/// computes them (no fma: Swift never contracts `a * b + c`), element by element (portable-1).
///
/// Weight decay applies to every parameter (BN and edge importance included), as the 0.x configs do.
/// Parameters are visited in PyTorch's `model.parameters()` order, so `buffers[i]` is the optimizer
/// state of parameter index i in an MMCV checkpoint.
public struct SGD: Sendable {
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    /// One momentum buffer per parameter; nil before the first step.
    public var buffers: [Tensor]?

    public init(momentum: Float, weightDecay: Float, nesterov: Bool) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// Applies one step with learning rate `lr` to the model's parameters given `gradients`.
    public mutating func step(_ model: inout STGCN, _ gradients: STGCN.Gradients, lr: Float) {
        step(&model.parameters, gradients, paths: model.parameterPaths, lr: lr)
    }

    /// One step over the tensors at `paths` (in `model.parameters()` order; `buffers[i]` belongs to `paths[i]`).
    public mutating func step<Parameters>(_ parameters: inout Parameters, _ gradients: Parameters,
                                          paths: [WritableKeyPath<Parameters, Tensor>], lr: Float) {
        let first = buffers == nil
        var newBuffers = buffers ?? paths.map { Tensor(zeros: parameters[keyPath: $0].shape) }
        let momentum = self.momentum, weightDecay = self.weightDecay, nesterov = self.nesterov
        for (index, path) in paths.enumerated() {
            let gradient = gradients[keyPath: path]
            parameters[keyPath: path].withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in
                    newBuffers[index].withUnsafeMutableBufferPointer { buf in
                        for i in 0..<p.count {
                            var d = g[i] + weightDecay * p[i]
                            if momentum != 0 {
                                buf[i] = first ? d : momentum * buf[i] + d
                                d = nesterov ? d + momentum * buf[i] : buf[i]
                            }
                            p[i] -= lr * d
                        }
                    }
                }
            }
        }
        buffers = newBuffers
    }
}

extension STGCN {
    /// Key paths of the trainable parameters in PyTorch's `model.parameters()` order (the state_dict order
    /// without buffers).
    public var parameterPaths: [WritableKeyPath<Parameters, Tensor>] {
        stateEntries.compactMap { entry in
            if case .parameter(let path) = entry.slot { return path }
            return nil
        }
    }
}
