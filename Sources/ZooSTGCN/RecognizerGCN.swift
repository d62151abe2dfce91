// B samples, N = B·clips clip inputs, M persons, T frames, V joints, C coordinates, NC classes.
//
// MMAction2 1.x `RecognizerGCN` (`mmaction/models/recognizers/recognizer_gcn.py`) = backbone (STGCN, ST-GCN++
// or AAGCN) + `GCNHead`, with `BaseHead.average_clip`. The public surface ZooRunner/ZooHarness use for 1.x:
//
//     var model = try RecognizerGCN(configuration: ...)            // from the config
//     try model.load(checkpoint: TorchCheckpoint.load(contentsOf: url))   // a 1.x state_dict
//     let logits = try model.clipLogits(clips)                      // (N, M, T, V, C) -> (N, NC)
//     let scores = try model.predict(clips, clipsPerSample: 10)     // pred_score (B, NC), average_clips='prob'
import ZooTensor
import ZooTorch

public struct RecognizerGCN: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var backbone: Backbone
        public var head: GCNHeadConfiguration

        public init(backbone: Backbone, head: GCNHeadConfiguration) {
            self.backbone = backbone
            self.head = head
        }
    }

    /// `model.backbone.type`.
    public enum Backbone: Sendable, Equatable {
        case stgcn(STGCN1xConfiguration)
        case aagcn(AAGCNConfiguration)
    }

    /// The backbone and its weights.
    public enum Network: Sendable {
        case stgcn(STGCN1x)
        case aagcn(AAGCN)
    }

    public let configuration: Configuration
    public var network: Network
    /// `cls_head.fc` (weight (NC, C), bias (NC)).
    public var head: Head.Parameters

    /// - Throws: ``ModelConfigurationError`` for what SkelZoo does not implement (AAGCN attention, an unknown
    ///   layout) or what does not fit together (the head's `in_channels` against the backbone's output).
    public init(configuration: Configuration) throws(ModelConfigurationError) {
        self.configuration = configuration
        let features: Int
        switch configuration.backbone {
        case .stgcn(let backbone):
            network = .stgcn(try STGCN1x(configuration: backbone))
            features = backbone.outputChannels
        case .aagcn(let backbone):
            network = .aagcn(try AAGCN(configuration: backbone))
            features = backbone.outputChannels
        }
        let head = configuration.head
        guard head.inChannels == features else {
            throw ModelConfigurationError(field: "cls_head.in_channels", value: "\(head.inChannels)", expected: "\(features), the backbone's output channels")
        }
        guard head.numClasses >= 1 else {
            throw ModelConfigurationError(field: "cls_head.num_classes", value: "\(head.numClasses)", expected: "an integer >= 1")
        }
        self.head = Head.Parameters(weight: Tensor(zeros: [head.numClasses, features]), bias: Tensor(zeros: [head.numClasses]))
    }

    /// The backbone in use, for what every backbone answers alike.
    var backbone: any GCNBackbone {
        switch network {
        case .stgcn(let model): model
        case .aagcn(let model): model
        }
    }

    /// The backbone's configuration, for the fields every backbone has.
    var backboneConfiguration: any GCNBackboneConfiguration {
        switch configuration.backbone {
        case .stgcn(let backbone): backbone
        case .aagcn(let backbone): backbone
        }
    }

    /// The graph the backbone builds.
    public var graph: GCNGraph { backbone.graph }
    var inChannels: Int { backboneConfiguration.inChannels }
    var numPerson: Int { backboneConfiguration.numPerson }
    var dataNorm: DataNormKind { backboneConfiguration.dataNorm }

    // MARK: - Inference

    /// Checks that `clips` is (N, M, T, V, C) for this model. - Throws: ``ModelConfigurationError`` (field `inputs`).
    public func checkInput(_ clips: Tensor) throws(ModelConfigurationError) {
        let v = graph.jointCount, c = inChannels
        let expected = "a (N, M, T, V=\(v), C=\(c)) clip tensor\(dataNorm == .mvc ? " with M=\(numPerson)" : "") and N, M, T >= 1"
        guard clips.rank == 5, clips.shape[3] == v, clips.shape[4] == c, clips.shape[0] >= 1, clips.shape[1] >= 1, clips.shape[2] >= 1,
              dataNorm != .mvc || clips.shape[1] == numPerson else {
            throw ModelConfigurationError(field: "inputs", value: "shape \(clips.shape)", expected: expected)
        }
    }

    /// The per-clip logits `cls_head(backbone(x))` in eval mode (BN running statistics, no dropout).
    /// - Parameter clips: (N, M, T, V, C), what `PackActionInputs` hands the model, clips of a sample consecutive.
    /// - Returns: (N, NC).
    public func clipLogits(_ clips: Tensor, threads: Int = 1) throws(ModelConfigurationError) -> Tensor {
        try checkInput(clips)
        let features = backbone.features(clips, threads: threads)
        return Head(persons: clips.shape[1]).forward(features, head).logits
    }

    /// `pred_score`: the per-clip logits of `clipsPerSample` consecutive clips per sample, averaged as
    /// `average_clips` says. - Returns: (B, NC) with B = N / clipsPerSample, and the per-clip logits (N, NC).
    public func predict(_ clips: Tensor, clipsPerSample: Int, threads: Int = 1) throws(ModelConfigurationError) -> (scores: Tensor, clipLogits: Tensor) {
        guard clipsPerSample >= 1, clips.rank == 5, clips.shape[0] % clipsPerSample == 0 else {
            throw ModelConfigurationError(field: "num_clips", value: "\(clipsPerSample) for shape \(clips.shape)",
                                          expected: "a positive divisor of the number of clips")
        }
        let logits = try clipLogits(clips, threads: threads)
        return (Self.averageClips(logits, clipsPerSample: clipsPerSample, mode: configuration.head.averageClips), logits)
    }

    /// `BaseHead.average_clip`: `prob` = mean over clips of softmax(logits), `score`/`None` = mean of the logits.
    /// Softmax in Double with ``PortableMath`` exp after subtracting the clip's maximum; means summed in clip order.
    public static func averageClips(_ logits: Tensor, clipsPerSample: Int, mode: GCNHeadConfiguration.AverageClips) -> Tensor {
        let n = logits.shape[0], classes = logits.shape[1], samples = n / clipsPerSample
        var result = Tensor(zeros: [samples, classes])
        for sample in 0..<samples {
            var sums = [Double](repeating: 0, count: classes)
            for clip in 0..<clipsPerSample {
                let row = Array(logits.storage[((sample * clipsPerSample + clip) * classes)..<((sample * clipsPerSample + clip + 1) * classes)])
                switch mode {
                case .prob:
                    let largest = Double(row.max() ?? 0)
                    let exps = row.map { PortableMath.exp(Double($0) - largest) }
                    let total = exps.reduce(0, +)
                    for k in 0..<classes { sums[k] += exps[k] / total }
                case .score, .none:
                    for k in 0..<classes { sums[k] += Double(row[k]) }
                }
            }
            for k in 0..<classes { result.storage[sample * classes + k] = Float(sums[k] / Double(clipsPerSample)) }
        }
        return result
    }

    // MARK: - Weights

    /// The head's keys, `cls_head.fc.weight` (NC, C) and `cls_head.fc.bias` (NC).
    var headEntries: [GCNStateEntry<Head.Parameters, Head.Parameters>] {
        [.init(name: "cls_head.fc.weight", shape: head.weight.shape, slot: .parameter(\.weight)),
         .init(name: "cls_head.fc.bias", shape: head.bias.shape, slot: .parameter(\.bias))]
    }

    /// Loads a 1.x state_dict (`backbone.*`, `cls_head.*`): every key consumed, every tensor assigned, by name.
    /// - Throws: ``StateDictError`` listing missing, unexpected and mis-shaped keys.
    public mutating func load(stateDict: [(name: String, tensor: StoredTensor)]) throws(StateDictError) {
        var error = StateDictError()
        do {
            switch network {
            case .stgcn(var model):
                try model.load(stateDict: stateDict)
                network = .stgcn(model)
            case .aagcn(var model):
                try model.load(stateDict: stateDict)
                network = .aagcn(model)
            }
        } catch let backboneError {
            error = backboneError
        }
        var headParameters = head, unused = head
        do {
            try loadGCNState(stateDict, entries: headEntries, parameters: &headParameters, buffers: &unused, owning: ["cls_head."])
        } catch let headError {
            error.missing += headError.missing
            error.misshaped += headError.misshaped
            error.unexpected += headError.unexpected
        }
        error.unexpected += stateDict.map { $0.name.hasPrefix("module.") ? String($0.name.dropFirst(7)) : $0.name }
            .filter { !$0.hasPrefix("backbone.") && !$0.hasPrefix("cls_head.") }
        guard error.isEmpty else { throw error }
        head = headParameters
    }

    /// Loads `checkpoint['state_dict']`. Objects elsewhere in the file (mmengine's `message_hub`) are never read.
    public mutating func load(checkpoint: TorchCheckpoint) throws {
        try load(stateDict: try checkpoint.stateDict())
    }

    /// Trainable parameters, as `sum(p.numel() for p in model.parameters())`.
    public var parameterCount: Int {
        backbone.parameterCount + head.weight.count + head.bias.count
    }

    /// The state_dict in PyTorch's order and shapes, `backbone.*` then `cls_head.fc.*`: what a 1.x checkpoint holds
    /// (Float values, or an Int64 `num_batches_tracked`).
    public func stateDict() -> [(name: String, shape: [Int], values: STGCN.StateValue)] {
        func values<Backbone: GCNBackbone>(_ model: Backbone) -> [(name: String, shape: [Int], values: STGCN.StateValue)] {
            gcnStateDict(model.stateEntries, model.parameters, model.buffers)
        }
        return values(backbone) + gcnStateDict(headEntries, head, head)
    }

    /// Every state_dict key with its shape, in PyTorch's order.
    public var stateDictShapes: [(name: String, shape: [Int])] {
        func shapes<Backbone: GCNBackbone>(_ model: Backbone) -> [(name: String, shape: [Int])] { model.stateEntries.map { ($0.name, $0.shape) } }
        return shapes(backbone) + headEntries.map { ($0.name, $0.shape) }
    }
}
