import Testing
import ZooTensor
@testable import ZooSTGCN

/// Central finite differences against each layer's backward, on small random shapes from a seeded generator.
/// The scalar checked is Σ r·output for a fixed random r, so dOutput = r.
@Suite struct GradientCheckTests {
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let rng = CounterRNG(seed: seed, stream: 42)
        return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { (rng.uniform(UInt64($0)) * 2 - 1) * scale })
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.storage, b.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks `analytic` (d objective / d values) at up to `samples` coordinates of `values` against central differences.
    /// With `skipKinks`, a coordinate whose one-sided differences disagree (a ReLU switched inside ±ε) is skipped,
    /// and at least half of the coordinates must remain.
    @discardableResult
    static func check(_ label: String, values: Tensor, analytic: Tensor, samples: Int = 12, epsilon: Float = 1e-2, skipKinks: Bool = false,
                      relativeTolerance: Double = 2e-2, objective: (Tensor) -> Double,
                      sourceLocation: SourceLocation = #_sourceLocation) -> (checked: Int, skipped: Int) {
        let scale = analytic.storage.map { abs($0) }.max() ?? 0
        let tolerance = relativeTolerance * Double(scale) + 1e-4
        // Kinks are detected at the default 2% whatever the comparison's tolerance.
        let kinkTolerance = 2e-2 * Double(scale) + 1e-4
        let stride = max(1, values.count / samples)
        var checked = 0, skipped = 0
        let center = skipKinks ? objective(values) : 0
        for index in Swift.stride(from: 0, to: values.count, by: stride) {
            var plus = values, minus = values
            plus.storage[index] += epsilon
            minus.storage[index] -= epsilon
            let up = objective(plus), down = objective(minus)
            if skipKinks {
                let right = (up - center) / Double(epsilon), left = (center - down) / Double(epsilon)
                if abs(right - left) > kinkTolerance { skipped += 1; continue }
            }
            let numeric = (up - down) / (2 * Double(epsilon))
            let error = abs(numeric - Double(analytic.storage[index]))
            checked += 1
            #expect(error <= tolerance, "\(label)[\(index)]: numeric \(numeric) vs analytic \(analytic.storage[index])",
                    sourceLocation: sourceLocation)
        }
        return (checked, skipped)
    }

    @Test func batchNormInTrainingMode() {
        let input = Self.random([3, 4, 10], seed: 1, scale: 2)
        let r = Self.random([3, 4, 10], seed: 2)
        var parameters = BatchNorm.Parameters(channels: 4)
        parameters.weight = Self.random([4], seed: 3)
        parameters.bias = Self.random([4], seed: 4)
        func objective(_ x: Tensor, _ p: BatchNorm.Parameters) -> Double {
            var buffers = BatchNorm.Buffers(channels: 4)
            return Self.dot(BatchNorm.forward(x, p, &buffers, training: true, threads: 1).output, r)
        }
        var buffers = BatchNorm.Buffers(channels: 4)
        let (_, saved) = BatchNorm.forward(input, parameters, &buffers, training: true, threads: 2)
        var gradients = BatchNorm.Parameters(channels: 4)
        gradients.weight.zero()
        let dInput = BatchNorm.backward(r, saved!, parameters, into: &gradients, threads: 2)
        Self.check("dInput", values: input, analytic: dInput) { objective($0, parameters) }
        Self.check("dWeight", values: parameters.weight, analytic: gradients.weight) { var p = parameters; p.weight = $0; return objective(input, p) }
        Self.check("dBias", values: parameters.bias, analytic: gradients.bias) { var p = parameters; p.bias = $0; return objective(input, p) }
    }

    static let pattern: Tensor = {
        let graph = Graph(layout: .named("coco")!, strategy: "spatial")
        return Tensor(shape: [3, 17, 17], storage: graph.adjacencyFloat)
    }()

    @Test func graphConvolutionWithEdgeImportance() {
        let layer = GraphConv(inputChannels: 3, outputChannels: 4, partitions: 3)
        let input = Self.random([2, 3, 5, 17], seed: 5)
        let r = Self.random([2, 4, 5, 17], seed: 6)
        let parameters = GraphConv.Parameters(weight: Self.random([12, 3], seed: 7), bias: Self.random([12], seed: 8))
        let importance = Self.random([3, 17, 17], seed: 9, scale: 0.5)
        func objective(_ x: Tensor, _ p: GraphConv.Parameters, _ importance: Tensor) -> Double {
            let effective = zip(Self.pattern.storage, importance.storage).map { $0 * ($1 + 1) }
            let adjacency = SparseAdjacency(pattern: Self.pattern.storage, effective: effective, partitions: 3, joints: 17)
            return Self.dot(layer.forward(x, p, adjacency: adjacency, saving: false, threads: 1).output, r)
        }
        let effective = zip(Self.pattern.storage, importance.storage).map { $0 * ($1 + 1) }
        let adjacency = SparseAdjacency(pattern: Self.pattern.storage, effective: effective, partitions: 3, joints: 17)
        let (_, saved) = layer.forward(input, parameters, adjacency: adjacency, saving: true, threads: 2)
        var gradients = GraphConv.Parameters(weight: Tensor(zeros: [12, 3]), bias: Tensor(zeros: [12]))
        var dEffective = [Float](repeating: 0, count: 3 * 17 * 17)
        let dInput = layer.backward(r, saved!, parameters, adjacency: adjacency, into: &gradients, dAdjacency: &dEffective, threads: 2)
        // A_eff = A ⊙ (importance + 1): dImportance = dA_eff ⊙ A.
        let dImportance = Tensor(shape: [3, 17, 17], storage: zip(dEffective, Self.pattern.storage).map { $0 * $1 })
        Self.check("dInput", values: input, analytic: dInput) { objective($0, parameters, importance) }
        Self.check("dWeight", values: parameters.weight, analytic: gradients.weight) { objective(input, .init(weight: $0, bias: parameters.bias), importance) }
        Self.check("dBias", values: parameters.bias, analytic: gradients.bias) { objective(input, .init(weight: parameters.weight, bias: $0), importance) }
        Self.check("dImportance", values: importance, analytic: dImportance, samples: 289) { objective(input, parameters, $0) }
    }

    @Test(arguments: [(9, 1), (9, 2), (1, 2), (1, 1)]) func temporalConvolution(_ kernel: Int, _ stride: Int) {
        let layer = TemporalConv(inputChannels: 3, outputChannels: 2, kernelSize: kernel, stride: stride)
        let input = Self.random([2, 3, 11, 4], seed: 10)
        let tOut = layer.outputFrames(11)
        let r = Self.random([2, 2, tOut, 4], seed: 11)
        let parameters = TemporalConv.Parameters(weight: Self.random([2, 3, kernel], seed: 12), bias: Self.random([2], seed: 13))
        func objective(_ x: Tensor, _ p: TemporalConv.Parameters) -> Double { Self.dot(layer.forward(x, p, saving: false, threads: 1).output, r) }
        let (_, saved) = layer.forward(input, parameters, saving: true, threads: 2)
        var gradients = TemporalConv.Parameters(weight: Tensor(zeros: [2, 3, kernel]), bias: Tensor(zeros: [2]))
        let dInput = layer.backward(r, saved!, parameters, into: &gradients, threads: 2)
        Self.check("dInput", values: input, analytic: dInput) { objective($0, parameters) }
        Self.check("dWeight", values: parameters.weight, analytic: gradients.weight) { objective(input, .init(weight: $0, bias: parameters.bias)) }
        Self.check("dBias", values: parameters.bias, analytic: gradients.bias) { objective(input, .init(weight: parameters.weight, bias: $0)) }
    }

    @Test(arguments: ["ce", "cbfocal"]) func lossesWithRespectToLogits(_ name: String) {
        let logits = Self.random([4, 6], seed: 30, scale: 3)
        let labels = [0, 5, 2, 2]
        let loss: Loss = name == "ce" ? .crossEntropy(lossWeight: 1.5)
            : .cbFocal(lossWeight: 1, classWeights: Loss.classBalancedWeights(samplesPerClass: [10, 200, 30, 5, 60, 7], beta: 0.9999), gamma: 2)
        let (_, dLogits) = loss.forward(logits, labels: labels)
        Self.check("dLogits", values: logits, analytic: dLogits, samples: 24, epsilon: 1e-3) { Double(loss.forward($0, labels: labels).loss) }
    }

    @Test func classBalancedWeightsSumToTheClassCount() {
        let weights = Loss.classBalancedWeights(samplesPerClass: [518, 1993, 6260, 19], beta: 0.9999)
        #expect(abs(weights.reduce(0, +) - 4) < 1e-5)
        #expect(weights[3] > weights[0] && weights[0] > weights[1] && weights[1] > weights[2])
    }

    /// One block of each residual kind, with dropout, in training mode: every parameter and the input.
    @Test(arguments: [(3, 4, 1), (4, 4, 1), (4, 6, 2)]) func blockWithDropout(_ cin: Int, _ cout: Int, _ stride: Int) throws {
        let configuration = STGCNConfiguration(inChannels: cin, layout: .named("coco")!, channels: [cout], strides: [stride],
                                               numClasses: 2, numPerson: 1)
        let kind: STGCNConfiguration.ResidualKind = cin == 3 ? .none : (cin == cout && stride == 1 ? .identity : .convolution)
        let block = STGCNBlock(inputChannels: cin, outputChannels: cout, stride: stride, partitions: 3, residual: kind, dropout: 0.25)
        var model = STGCN(configuration)
        model.initialize(rng: CounterRNG(seed: 4, stream: 2))
        var parameters = model.parameters.blocks[0]
        parameters.gcnNorm.weight = Self.random([cout], seed: 40, scale: 1)
        parameters.temporalNorm.bias = Self.random([cout], seed: 41, scale: 0.3)
        parameters.importance = Tensor(shape: [3, 17, 17], storage: Self.random([3, 17, 17], seed: 42, scale: 0.3).storage.map { $0 + 1 })
        var blockBuffers = model.buffers.blocks[0]
        if kind == .convolution {
            parameters.residual = .init(weight: Self.random([cout, cin, 1], seed: 45), bias: Self.random([cout], seed: 46))
            var norm = BatchNorm.Parameters(channels: cout)
            norm.weight = Self.random([cout], seed: 47)
            parameters.residualNorm = norm
            blockBuffers.residualNorm = BatchNorm.Buffers(channels: cout)
        }
        let input = Self.random([2, cin, 7, 17], seed: 43)
        let tOut = (7 - 1) / stride + 1
        let r = Self.random([2, cout, tOut, 17], seed: 44)
        let dropout = CounterRNG(seed: 5, stream: 6)
        func objective(_ x: Tensor, _ p: STGCNBlock.Parameters) -> Double {
            var buffers = blockBuffers
            return Self.dot(block.forward(x, p, &buffers, pattern: model.adjacency, training: true, dropoutRNG: dropout, threads: 1).output, r)
        }
        var buffers = blockBuffers
        let (_, saved) = block.forward(input, parameters, &buffers, pattern: model.adjacency, training: true, dropoutRNG: dropout, threads: 2)
        var gradients = parameters
        gradients.gcn.weight.zero(); gradients.gcn.bias.zero(); gradients.gcnNorm.weight.zero(); gradients.gcnNorm.bias.zero()
        gradients.temporal.weight.zero(); gradients.temporal.bias.zero(); gradients.temporalNorm.weight.zero(); gradients.temporalNorm.bias.zero()
        gradients.importance.zero()
        if kind == .convolution {
            gradients.residual?.weight.zero(); gradients.residual?.bias.zero(); gradients.residualNorm?.weight.zero(); gradients.residualNorm?.bias.zero()
        }
        let dInput = block.backward(r, try #require(saved), parameters, pattern: model.adjacency, into: &gradients, threads: 2)
        var (checked, skipped) = Self.check("dInput", values: input, analytic: dInput, epsilon: 1e-3, skipKinks: true) { objective($0, parameters) }
        var paths: [(String, WritableKeyPath<STGCNBlock.Parameters, Tensor>)] = [
            ("gcn.weight", \.gcn.weight), ("gcn.bias", \.gcn.bias), ("gcnNorm.weight", \.gcnNorm.weight), ("gcnNorm.bias", \.gcnNorm.bias),
            ("temporal.weight", \.temporal.weight), ("temporal.bias", \.temporal.bias),
            ("temporalNorm.weight", \.temporalNorm.weight), ("temporalNorm.bias", \.temporalNorm.bias), ("importance", \.importance),
        ]
        if kind == .convolution {
            paths += [("residual.weight", \.residual!.weight), ("residual.bias", \.residual!.bias),
                      ("residualNorm.weight", \.residualNorm!.weight), ("residualNorm.bias", \.residualNorm!.bias)]
        }
        for (name, path) in paths {
            let counts = Self.check(name, values: parameters[keyPath: path], analytic: gradients[keyPath: path], epsilon: 1e-3, skipKinks: true) { values in
                var p = parameters
                p[keyPath: path] = values
                return objective(input, p)
            }
            checked += counts.checked
            skipped += counts.skipped
        }
        // Tensors that touch every position (BN scales) often sit on a kink; most coordinates must still be checked.
        #expect(checked >= 2 * skipped, "\(skipped) of \(checked + skipped) coordinates sat on a ReLU kink")
    }

    @Test func headAveragesOverPersonsAndPositions() {
        let head = Head(persons: 2)
        let input = Self.random([4, 3, 2, 5], seed: 50)
        let parameters = Head.Parameters(weight: Self.random([6, 3], seed: 51), bias: Self.random([6], seed: 52))
        let r = Self.random([2, 6], seed: 53)
        let (_, saved) = head.forward(input, parameters)
        var gradients = Head.Parameters(weight: Tensor(zeros: [6, 3]), bias: Tensor(zeros: [6]))
        let dInput = head.backward(r, saved, parameters, into: &gradients)
        Self.check("dInput", values: input, analytic: dInput, epsilon: 1e-3) { Self.dot(head.forward($0, parameters).logits, r) }
        Self.check("dWeight", values: parameters.weight, analytic: gradients.weight, epsilon: 1e-3) {
            Self.dot(head.forward(input, .init(weight: $0, bias: parameters.bias)).logits, r)
        }
    }
}
