// B samples (one clip each in training), M persons, T frames, V joints, C coordinates, NC classes.
//
// Training a 1.x recognizer (ST-GCN, ST-GCN++, 2s-AGCN): MMAction2 1.x initialisation, a training-mode forward that
// keeps what backward needs, backward into gradients shaped like the parameters, and the SGD step over them in
// `model.parameters()` order.
import ZooTensor

extension RecognizerGCN {
    /// Gradients shaped like the trainable model: the backbone's parameters (the one in use) and `cls_head.fc`.
    public struct Gradients: Sendable, Equatable {
        public var stgcn: STGCN1x.Gradients?
        public var aagcn: AAGCN.Gradients?
        public var head: Head.Parameters
    }

    /// What ``forwardTraining(_:threads:)`` keeps for ``backward(_:_:into:threads:)``.
    public struct TrainingState: Sendable {
        enum Backbone: Sendable {
            case stgcn(STGCN1x.Saved)
            case aagcn(AAGCN.Saved)
        }

        let backbone: Backbone
        let head: Head.Saved
        let persons: Int
    }

    /// Initialises every weight as MMAction2 1.x's `init_weights()` does, drawing from `rng` (one substream per
    /// state_dict entry, so the result does not depend on visiting order).
    ///
    /// STGCN (`stgcn.py`, `gcn_utils.py`):
    /// - `unit_tcn` convolutions (`tcn.conv`, `residual.conv`, the mstcn branches' `3.conv`): mmengine `Kaiming`
    ///   (normal, fan_out, ReLU gain: std = sqrt(2 / (Cout·Kt))), bias 0;
    /// - every other convolution (`gcn.conv`, `gcn.down.0`, mstcn 1x1s and `transform.2`): PyTorch's default,
    ///   U(±1/sqrt(Cin·Kt)) for weight and bias;
    /// - BN weight 1, bias 0; `PA` ones (importance) or U(±1e-6) (offset); `A` the graph.
    ///
    /// AAGCN (`unit_aagcn`'s init_cfg): every convolution Kaiming (fan_out) with bias 0, except `conv_d.k`
    /// (`ConvBranch`: normal, std = sqrt(2 / (Cout·Cin·K))); BN weight 1, `gcn.bn` weight 1e-6; `alpha` 0, `A` the graph.
    ///
    /// Head: `cls_head.fc` `Normal(std=0.01)`, bias 0.
    public mutating func initialize(rng: CounterRNG) throws(ModelConfigurationError) {
        var entryCount = 0
        switch network {
        case .stgcn(let current):
            var model = try STGCN1x(configuration: current.configuration)
            let entries = model.stateEntries
            entryCount = entries.count
            let kaiming = [".tcn.conv.weight", ".residual.conv.weight", ".3.conv.weight"]
            var fanIn: [String: Int] = [:]
            for entry in entries where entry.shape.count == 4 { fanIn[String(entry.name.dropLast(".weight".count))] = entry.shape[1] * entry.shape[2] }
            for (index, entry) in entries.enumerated() {
                guard case .parameter(let path) = entry.slot else { continue }
                let stream = rng.substream(UInt64(index))
                let count = model.parameters[keyPath: path].count
                let prefix = entry.name.hasSuffix(".weight") ? String(entry.name.dropLast(7)) : entry.name.hasSuffix(".bias") ? String(entry.name.dropLast(5)) : entry.name
                var values: [Float]?
                if entry.shape.count == 4 && kaiming.contains(where: entry.name.hasSuffix) {
                    let std = (2.0 / Double(entry.shape[0] * entry.shape[2])).squareRoot()
                    values = (0..<count).map { Float(stream.normal(UInt64($0)) * std) }
                } else if let fan = fanIn[prefix], !kaiming.contains(where: { (prefix + ".weight").hasSuffix($0) }) {
                    let bound = 1 / Double(fan).squareRoot()
                    values = (0..<count).map { Float((stream.uniformDouble(UInt64($0)) * 2 - 1) * bound) }
                } else if entry.name.hasSuffix(".PA") && model.configuration.gcnAdaptive == .offset {
                    values = (0..<count).map { Float((stream.uniformDouble(UInt64($0)) * 2 - 1) * 1e-6) }
                }
                if let values { model.parameters[keyPath: path] = Tensor(shape: model.parameters[keyPath: path].shape, storage: values) }
            }
            network = .stgcn(model)
        case .aagcn(let current):
            var model = try AAGCN(configuration: current.configuration)
            let entries = model.stateEntries
            entryCount = entries.count
            let partitions = model.graph.partitions
            for (index, entry) in entries.enumerated() {
                guard case .parameter(let path) = entry.slot else { continue }
                let stream = rng.substream(UInt64(index))
                let shape = model.parameters[keyPath: path].shape
                var values: [Float]?
                if entry.shape.count == 4 && entry.name.hasSuffix(".weight") {
                    let branch = entry.name.contains(".gcn.conv_d.")
                    let std = branch ? (2.0 / Double(entry.shape[0] * entry.shape[1] * entry.shape[2] * partitions)).squareRoot()
                                     : (2.0 / Double(entry.shape[0] * entry.shape[2])).squareRoot()
                    values = (0..<shape.reduce(1, *)).map { Float(stream.normal(UInt64($0)) * std) }
                } else if entry.name.hasSuffix(".gcn.bn.weight") {
                    values = [Float](repeating: 1e-6, count: shape.reduce(1, *))
                }
                if let values { model.parameters[keyPath: path] = Tensor(shape: shape, storage: values) }
            }
            network = .aagcn(model)
        }
        let stream = rng.substream(UInt64(entryCount))
        head = Head.Parameters(weight: Tensor(shape: head.weight.shape, storage: (0..<head.weight.count).map { Float(stream.normal(UInt64($0)) * 0.01) }),
                               bias: Tensor(zeros: head.bias.shape))
    }

    /// Training-mode forward (BN batch statistics, running statistics updated): logits (B, NC) for clips (B, M, T, V, C).
    public mutating func forwardTraining(_ clips: Tensor, threads: Int = 1) throws(ModelConfigurationError) -> (logits: Tensor, state: TrainingState) {
        try checkInput(clips)
        guard configuration.head.dropout == 0 else {
            throw ModelConfigurationError(field: "cls_head.dropout", value: "\(configuration.head.dropout)", expected: "0 to train (head dropout is not implemented)")
        }
        let features: Tensor, backbone: TrainingState.Backbone
        switch network {
        case .stgcn(var model):
            let (output, saved) = model.forward(clips, training: true, threads: threads)
            network = .stgcn(model)
            (features, backbone) = (output, .stgcn(saved!))
        case .aagcn(var model):
            let (output, saved) = model.forward(clips, training: true, threads: threads)
            network = .aagcn(model)
            (features, backbone) = (output, .aagcn(saved!))
        }
        let (logits, headSaved) = Head(persons: clips.shape[1]).forward(features, head)
        return (logits, TrainingState(backbone: backbone, head: headSaved, persons: clips.shape[1]))
    }

    /// Adds every parameter's gradient for dLogits (B, NC): the head, then the backbone in reverse.
    public func backward(_ dLogits: Tensor, _ state: TrainingState, into gradients: inout Gradients, threads: Int = 1) {
        let dFeatures = Head(persons: state.persons).backward(dLogits, state.head, head, into: &gradients.head)
        switch (network, state.backbone) {
        case (.stgcn(let model), .stgcn(let saved)): model.backward(dFeatures, saved, into: &gradients.stgcn!, threads: threads)
        case (.aagcn(let model), .aagcn(let saved)): model.backward(dFeatures, saved, into: &gradients.aagcn!, threads: threads)
        default: preconditionFailure("training state of another backbone")
        }
    }

    /// Zero gradients shaped like the trainable parameters.
    public func zeroGradients() -> Gradients {
        let headGradients = Head.Parameters(weight: Tensor(zeros: head.weight.shape), bias: Tensor(zeros: head.bias.shape))
        return switch network {
        case .stgcn(let model): Gradients(stgcn: model.zeroGradients(), aagcn: nil, head: headGradients)
        case .aagcn(let model): Gradients(stgcn: nil, aagcn: model.zeroGradients(), head: headGradients)
        }
    }

    /// The model's trainable tensors as a ``Gradients`` value, and their key paths in `model.parameters()` order:
    /// the backbone's, then `cls_head.fc.weight`, `.bias`.
    func trainableParameters() -> (values: Gradients, paths: [WritableKeyPath<Gradients, Tensor>]) {
        func paths<P, B>(_ entries: [GCNStateEntry<P, B>], _ root: WritableKeyPath<Gradients, P>) -> [WritableKeyPath<Gradients, Tensor>] {
            entries.compactMap { entry in
                if case .parameter(let path) = entry.slot { return root.appending(path: path) }
                return nil
            }
        }
        switch network {
        case .stgcn(let model):
            return (Gradients(stgcn: model.parameters, aagcn: nil, head: head), paths(model.stateEntries, \.stgcn!) + [\.head.weight, \.head.bias])
        case .aagcn(let model):
            return (Gradients(stgcn: nil, aagcn: model.parameters, head: head), paths(model.stateEntries, \.aagcn!) + [\.head.weight, \.head.bias])
        }
    }
}

extension SGD {
    /// One SGD step on a 1.x recognizer (PyTorch's update order, see ``SGD``).
    public mutating func step(_ model: inout RecognizerGCN, _ gradients: RecognizerGCN.Gradients, lr: Float) {
        var (parameters, paths) = model.trainableParameters()
        step(&parameters, gradients, paths: paths, lr: lr)
        switch model.network {
        case .stgcn(var backbone):
            backbone.parameters = parameters.stgcn!
            model.network = .stgcn(backbone)
        case .aagcn(var backbone):
            backbone.parameters = parameters.aagcn!
            model.network = .aagcn(backbone)
        }
        model.head = parameters.head
    }
}
