// B samples (one clip each in training), M persons, T frames, V joints, C coordinates, NC classes.
//
// Training the 1.x STGCN (ST-GCN, ST-GCN++) recognizer: MMAction2 1.x initialisation, a training-mode forward that
// keeps what backward needs, backward into gradients shaped like the parameters, and the SGD step over them in
// `model.parameters()` order. AAGCN is evaluation-only here (its backward is not implemented).
import ZooTensor

extension RecognizerGCN {
    /// Gradients shaped like the trainable model: the backbone's parameters and `cls_head.fc`.
    public struct Gradients: Sendable, Equatable {
        public var backbone: STGCN1x.Gradients
        public var head: Head.Parameters
    }

    /// What ``forwardTraining(_:threads:)`` keeps for ``backward(_:_:into:threads:)``.
    public struct TrainingState: Sendable {
        let backbone: STGCN1x.Saved
        let head: Head.Saved
        let persons: Int
    }

    static let evaluationOnly = ModelConfigurationError(field: "backbone.type", value: "AAGCN",
                                                        expected: "STGCN to train (SkelZoo evaluates AAGCN checkpoints but has no AAGCN backward)")

    /// The STGCN backbone, or the error that AAGCN cannot be trained.
    func trainableBackbone() throws(ModelConfigurationError) -> STGCN1x {
        guard case .stgcn(let model) = network else { throw Self.evaluationOnly }
        return model
    }

    /// Initialises every weight as MMAction2 1.x's `init_weights()` does, drawing from `rng` (one substream per
    /// state_dict entry, so the result does not depend on visiting order):
    /// - `unit_tcn` convolutions (`tcn.conv`, `residual.conv`, the mstcn branches' `3.conv`): mmengine `Kaiming`
    ///   (normal, fan_out, ReLU gain: std = sqrt(2 / (Cout·Kt))), bias 0;
    /// - every other convolution (`gcn.conv`, `gcn.down.0`, mstcn 1x1s and `transform.2`): PyTorch's default,
    ///   U(±1/sqrt(Cin·Kt)) for weight and bias;
    /// - BN weight 1, bias 0, running statistics 0 / 1; `PA` ones (importance) or U(±1e-6) (offset); `A` the graph;
    /// - `cls_head.fc`: `Normal(std=0.01)`, bias 0.
    public mutating func initialize(rng: CounterRNG) throws(ModelConfigurationError) {
        var model = try STGCN1x(configuration: trainableBackbone().configuration)
        let entries = model.stateEntries
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
        let stream = rng.substream(UInt64(entries.count))
        head = Head.Parameters(weight: Tensor(shape: head.weight.shape, storage: (0..<head.weight.count).map { Float(stream.normal(UInt64($0)) * 0.01) }),
                               bias: Tensor(zeros: head.bias.shape))
    }

    /// Training-mode forward (BN batch statistics, running statistics updated): logits (B, NC) for clips (B, M, T, V, C).
    public mutating func forwardTraining(_ clips: Tensor, threads: Int = 1) throws(ModelConfigurationError) -> (logits: Tensor, state: TrainingState) {
        var model = try trainableBackbone()
        try checkInput(clips)
        guard configuration.head.dropout == 0 else {
            throw ModelConfigurationError(field: "cls_head.dropout", value: "\(configuration.head.dropout)", expected: "0 to train (head dropout is not implemented)")
        }
        let (features, saved) = model.forward(clips, training: true, threads: threads)
        network = .stgcn(model)
        let head = Head(persons: clips.shape[1])
        let (logits, headSaved) = head.forward(features, self.head)
        return (logits, TrainingState(backbone: saved!, head: headSaved, persons: clips.shape[1]))
    }

    /// Adds every parameter's gradient for dLogits (B, NC): the head, then the backbone in reverse.
    public func backward(_ dLogits: Tensor, _ state: TrainingState, into gradients: inout Gradients, threads: Int = 1) throws(ModelConfigurationError) {
        let model = try trainableBackbone()
        let dFeatures = Head(persons: state.persons).backward(dLogits, state.head, head, into: &gradients.head)
        model.backward(dFeatures, state.backbone, into: &gradients.backbone, threads: threads)
    }

    /// Zero gradients shaped like the trainable parameters.
    public func zeroGradients() throws(ModelConfigurationError) -> Gradients {
        Gradients(backbone: try trainableBackbone().zeroGradients(),
                  head: Head.Parameters(weight: Tensor(zeros: head.weight.shape), bias: Tensor(zeros: head.bias.shape)))
    }

    /// The trainable tensors as `model.parameters()` orders them: the backbone's, then `cls_head.fc.weight`, `.bias`.
    func parameterPaths(_ model: STGCN1x) -> [WritableKeyPath<TrainableParameters, Tensor>] {
        let backbone: [WritableKeyPath<TrainableParameters, Tensor>] = model.stateEntries.compactMap { entry in
            let root: WritableKeyPath<TrainableParameters, STGCN1x.Parameters> = \.backbone
            if case .parameter(let path) = entry.slot { return root.appending(path: path) }
            return nil
        }
        return backbone + [\.head.weight, \.head.bias]
    }

    typealias TrainableParameters = Gradients
}

extension SGD {
    /// One SGD step on a 1.x STGCN recognizer (PyTorch's update order, see ``SGD``).
    public mutating func step(_ model: inout RecognizerGCN, _ gradients: RecognizerGCN.Gradients, lr: Float) throws(ModelConfigurationError) {
        var backbone = try model.trainableBackbone()
        var parameters = RecognizerGCN.Gradients(backbone: backbone.parameters, head: model.head)
        step(&parameters, gradients, paths: model.parameterPaths(backbone), lr: lr)
        backbone.parameters = parameters.backbone
        model.network = .stgcn(backbone)
        model.head = parameters.head
    }
}
