import Testing
import ZooTensor
@testable import ZooSTGCN

/// Training the 1.x STGCN recognizer end to end on a tiny batch: initialise, forward, loss, backward, SGD.
@Suite struct GCN1xTrainingTests {
    static func recognizer(_ tcn: TCNKind) throws -> RecognizerGCN {
        let backbone = STGCN1xConfiguration(layout: "coco", graphMode: tcn == .unit ? .stgcnSpatial : .spatial, baseChannels: 12, numStages: 3,
                                            inflateStages: [3], downStages: [3], gcnAdaptive: tcn == .unit ? .importance : .initial,
                                            gcnWithResidual: tcn == .multiScale, tcnKind: tcn)
        var model = try RecognizerGCN(configuration: .init(backbone: .stgcn(backbone), head: GCNHeadConfiguration(numClasses: 4, inChannels: 24)))
        try model.initialize(rng: CounterRNG(seed: 11, stream: 3))
        return model
    }

    /// Runs `steps` SGD steps (lr 0.1, momentum 0.9, wd 5e-4, nesterov, the 1.x configs' optimizer) and returns the losses.
    static func train(_ model: inout RecognizerGCN, steps: Int, threads: Int) throws -> [Float] {
        let clips = GradientCheckTests.random([4, 2, 8, 17, 3], seed: 12)
        let labels = [0, 1, 2, 3]
        var optimizer = SGD(momentum: 0.9, weightDecay: 5e-4, nesterov: true)
        var losses: [Float] = []
        for _ in 0..<steps {
            let (logits, state) = try model.forwardTraining(clips, threads: threads)
            let (loss, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: labels)
            losses.append(loss)
            var gradients = try model.zeroGradients()
            try model.backward(dLogits, state, into: &gradients, threads: threads)
            try optimizer.step(&model, gradients, lr: 0.1)
        }
        return losses
    }

    @Test(arguments: [TCNKind.unit, .multiScale]) func sgdStepsLowerTheLossWithTheSameBitsOnAnyThreadCount(_ tcn: TCNKind) throws {
        var first = try Self.recognizer(tcn), second = first
        let losses = try Self.train(&first, steps: 6, threads: 1)
        #expect(try Self.train(&second, steps: 6, threads: 2) == losses)
        #expect(losses.last! < losses.first!, "\(losses)")
        guard case .stgcn(let a) = first.network, case .stgcn(let b) = second.network else { Issue.record("not an STGCN"); return }
        #expect(a.parameters == b.parameters && a.buffers == b.buffers && first.head == second.head)
    }

    @Test func initialisationFollowsMMAction2() throws {
        let model = try Self.recognizer(.multiScale)
        guard case .stgcn(let backbone) = model.network else { Issue.record("not an STGCN"); return }
        let graph = backbone.graph.adjacencyTensor
        let block = backbone.parameters.blocks[1]
        #expect(block.gcn.adjacency == graph)                                   // 'init': A starts as the graph
        #expect(block.residual == nil && block.gcn.norm.weight.storage.allSatisfy { $0 == 1 })
        #expect(block.multiScale!.dilated[0].bias.storage.allSatisfy { $0 == 0 })  // Kaiming: bias 0
        let bound = 1 / Float(12).squareRoot()                                  // default init of gcn.conv (Cin 12)
        #expect(block.gcn.conv.weight.storage.allSatisfy { abs($0) <= bound } && block.gcn.conv.bias.storage.contains { $0 != 0 })
        #expect(model.head.bias.storage.allSatisfy { $0 == 0 } && model.head.weight.storage.allSatisfy { abs($0) < 0.06 })
        #expect(try Self.recognizer(.multiScale).head == model.head)           // same seed, same bits
    }

    @Test func aagcnIsEvaluationOnly() throws {
        var model = try RecognizerGCN(configuration: .init(backbone: .aagcn(AAGCNConfiguration(gcnAttention: false)), head: GCNHeadConfiguration(numClasses: 3)))
        #expect(throws: RecognizerGCN.evaluationOnly) { try model.initialize(rng: CounterRNG(seed: 1, stream: 1)) }
        #expect(throws: RecognizerGCN.evaluationOnly) { try model.forwardTraining(Tensor(zeros: [1, 2, 4, 17, 3])) }
    }

    @Test func unsupportedConfigurationsAreClearErrors() throws {
        #expect(throws: ModelConfigurationError(field: "backbone.gcn_attention", value: "True",
                                                expected: "False (SkelZoo implements AAGCN without its STC attention module, as the 2s-AGCN configs use it)")) {
            try RecognizerGCN(configuration: .init(backbone: .aagcn(AAGCNConfiguration()), head: GCNHeadConfiguration(numClasses: 3)))
        }
        #expect(throws: ModelConfigurationError(field: "graph_cfg.layout", value: "ntu-rgb+d", expected: "openpose, nturgb+d, coco")) {
            try RecognizerGCN(configuration: .init(backbone: .stgcn(STGCN1xConfiguration(layout: "ntu-rgb+d")), head: GCNHeadConfiguration(numClasses: 3)))
        }
        #expect(throws: ModelConfigurationError(field: "cls_head.in_channels", value: "128", expected: "256, the backbone's output channels")) {
            try RecognizerGCN(configuration: .init(backbone: .stgcn(STGCN1xConfiguration()), head: GCNHeadConfiguration(numClasses: 3, inChannels: 128)))
        }
        let model = try RecognizerGCN(configuration: .init(backbone: .stgcn(STGCN1xConfiguration()), head: GCNHeadConfiguration(numClasses: 3)))
        #expect(throws: ModelConfigurationError(field: "inputs", value: "shape [1, 2, 4, 25, 3]", expected: "a (N, M, T, V=17, C=3) clip tensor and N, M, T >= 1")) {
            try model.clipLogits(Tensor(zeros: [1, 2, 4, 25, 3]))
        }
    }

    @Test func wrongCheckpointKeysAreReportedByName() throws {
        var model = try RecognizerGCN(configuration: .init(backbone: .stgcn(STGCN1xConfiguration()), head: GCNHeadConfiguration(numClasses: 3)))
        let error = #expect(throws: StateDictError.self) { try model.load(stateDict: [("backbone.st_gcn_networks.0.gcn.conv.weight", .init(type: .float32, shape: [1], floats: [0], integers: nil))]) }
        #expect(error?.unexpected == ["backbone.st_gcn_networks.0.gcn.conv.weight"])
        #expect(error?.missing.first == "backbone.data_bn.weight" && error?.missing.last == "cls_head.fc.bias")
    }
}
