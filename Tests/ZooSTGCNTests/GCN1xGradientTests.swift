import Testing
import ZooTensor
@testable import ZooSTGCN

/// Backward of the MMAction2 1.x STGCN backbone (ST-GCN and ST-GCN++) in training mode, against central
/// differences of Σ r·features on a small backbone (3 blocks: none, identity and convolution residuals, stride 2).
/// Every parameter tensor of every block is checked (the data BN included).
@Suite struct GCN1xGradientTests {
    static func configuration(_ name: String) -> STGCN1xConfiguration {
        switch name {
        case "stgcn": STGCN1xConfiguration(layout: "coco", graphMode: .stgcnSpatial, baseChannels: 12, numStages: 3, inflateStages: [3], downStages: [3])
        case "stgcnpp": STGCN1xConfiguration(layout: "coco", graphMode: .spatial, baseChannels: 12, numStages: 3, inflateStages: [3], downStages: [3],
                                              gcnAdaptive: .initial, gcnWithResidual: true, tcnKind: .multiScale)
        default: STGCN1xConfiguration(layout: "coco", graphMode: .spatial, baseChannels: 12, dataNorm: .mvc, numPerson: 2, numStages: 3,
                                      inflateStages: [3], downStages: [3], gcnAdaptive: .offset, gcnWithResidual: true)
        }
    }

    /// A backbone with every parameter drawn from a seeded generator: scales and PA near 1, A near the graph.
    static func model(_ name: String) throws -> STGCN1x {
        var model = try STGCN1x(configuration: configuration(name))
        for (index, entry) in model.stateEntries.enumerated() {
            guard case .parameter(let path) = entry.slot else { continue }
            let noise = GradientCheckTests.random(entry.shape.isEmpty ? [1] : [entry.shape.reduce(1, *)], seed: UInt64(100 + index), scale: 0.3)
            let isScale = entry.name.hasSuffix(".weight") && model.parameters[keyPath: path].rank == 1
            let base = model.parameters[keyPath: path]
            let values: [Float] = if entry.name.hasSuffix(".PA") || isScale {
                noise.storage.map { 1 + $0 }
            } else if entry.name.hasSuffix(".A") {
                zip(base.storage, noise.storage).map { $0 + $1 / 3 }
            } else {
                noise.storage
            }
            model.parameters[keyPath: path] = Tensor(shape: base.shape, storage: values)
        }
        return model
    }

    @Test(arguments: ["stgcn", "stgcnpp", "offset-mvc"]) func backboneBackwardMatchesFiniteDifferences(_ name: String) throws {
        let model = try Self.model(name)
        let input = GradientCheckTests.random([2, 2, 6, 17, 3], seed: 7, scale: 1)
        func features(_ model: STGCN1x) -> Tensor {
            var copy = model
            return copy.forward(input, training: true, threads: 1).features
        }
        let r = GradientCheckTests.random(features(model).shape, seed: 8)
        var trained = model
        let (_, saved) = trained.forward(input, training: true, threads: 2)
        var gradients = model.zeroGradients()
        model.backward(r, try #require(saved), into: &gradients, threads: 2)
        // mstcn stacks BN → ReLU → max-pool → BN: a weight perturbed by ±1e-3 moves some of the hundreds of ReLU and
        // max-pool switch points it feeds, which the one-sided test does not always catch. Each layer alone passes the
        // 2% bound (unitGraphConvolution, multiScaleTemporalConvolution); the stack is held to 6% and half the coordinates.
        let multiScale = model.configuration.tcnKind == .multiScale
        var checked = 0, skipped = 0
        for entry in model.stateEntries {
            guard case .parameter(let path) = entry.slot else { continue }
            let counts = GradientCheckTests.check(entry.name, values: model.parameters[keyPath: path], analytic: gradients[keyPath: path],
                                                  samples: 4, epsilon: 1e-3, skipKinks: true, relativeTolerance: multiScale ? 6e-2 : 2e-2) { values in
                var perturbed = model
                perturbed.parameters[keyPath: path] = values
                return GradientCheckTests.dot(features(perturbed), r)
            }
            checked += counts.checked
            skipped += counts.skipped
        }
        #expect(checked >= (multiScale ? 1 : 3) * skipped, "\(skipped) of \(checked + skipped) coordinates sat on a ReLU or max-pool kink")
    }

    @Test func maxPoolTakesTheFirstMaximumAndRoutesItsGradient() {
        // One channel, 5 frames, 1 joint, stride 2: windows {pad,0,1}, {1,2,3}, {3,4,pad}.
        let input = Tensor(shape: [1, 1, 5, 1], storage: [0, 0, 3, 3, -1])
        let (output, argmax) = MultiScaleTCN.maxPool(input, stride: 2, outFrames: 3, threads: 1)
        #expect(output.storage == [0, 3, 3])
        #expect(argmax == [0, 2, 3])
        let dInput = MultiScaleTCN.maxPoolBackward(Tensor(shape: [1, 1, 3, 1], storage: [1, 2, 4]), argmax: argmax, inputShape: input.shape)
        #expect(dInput.storage == [1, 0, 2, 4, 0])
    }

    @Test func trainingStepDoesNotDependOnTheThreadCount() throws {
        let model = try Self.model("stgcnpp")
        let input = GradientCheckTests.random([2, 2, 6, 17, 3], seed: 9)
        var results: [(Tensor, STGCN1x.Gradients, STGCN1x.Buffers)] = []
        for threads in [1, 2] {
            var copy = model
            let (features, saved) = copy.forward(input, training: true, threads: threads)
            var gradients = model.zeroGradients()
            copy.backward(features, try #require(saved), into: &gradients, threads: threads)
            results.append((features, gradients, copy.buffers))
        }
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
        #expect(results[0].2 == results[1].2)
    }
}

extension GCN1xGradientTests {
    @Test(arguments: [1, 2]) func multiScaleTemporalConvolution(_ stride: Int) {
        let layer = MultiScaleTCN(channels: 12, stride: stride)
        var parameters = layer.makeParameters()
        var seed: UInt64 = 200
        func fill(_ t: inout Tensor, around: Float = 0) { seed += 1; t = Tensor(shape: t.shape, storage: GradientCheckTests.random(t.shape, seed: seed, scale: 0.5).storage.map { $0 + around }) }
        for i in parameters.heads.indices {
            fill(&parameters.heads[i].conv.weight); fill(&parameters.heads[i].conv.bias)
            if parameters.heads[i].norm != nil { fill(&parameters.heads[i].norm!.weight, around: 1); fill(&parameters.heads[i].norm!.bias) }
        }
        for i in parameters.dilated.indices { fill(&parameters.dilated[i].weight); fill(&parameters.dilated[i].bias) }
        fill(&parameters.transform.weight); fill(&parameters.transform.bias)
        fill(&parameters.transformNorm.weight, around: 1); fill(&parameters.norm.weight, around: 1); fill(&parameters.norm.bias)
        let input = GradientCheckTests.random([2, 12, 9, 3], seed: 300)
        let r = GradientCheckTests.random([2, 12, (9 - 1) / stride + 1, 3], seed: 301)
        func objective(_ x: Tensor, _ p: MultiScaleTCN.Parameters) -> Double {
            var buffers = layer.makeBuffers()
            return GradientCheckTests.dot(layer.forward(x, p, &buffers, training: true, threads: 1).output, r)
        }
        var buffers = layer.makeBuffers()
        let (_, saved) = layer.forward(input, parameters, &buffers, training: true, threads: 1)
        var gradients = parameters
        gradients.heads = gradients.heads.map { var h = $0; h.conv.weight.zero(); h.conv.bias.zero(); h.norm?.weight.zero(); h.norm?.bias.zero(); return h }
        for i in gradients.dilated.indices { gradients.dilated[i].weight.zero(); gradients.dilated[i].bias.zero() }
        gradients.transform.weight.zero(); gradients.transform.bias.zero()
        gradients.transformNorm.weight.zero(); gradients.transformNorm.bias.zero(); gradients.norm.weight.zero(); gradients.norm.bias.zero()
        let dInput = layer.backward(r, saved!, parameters, into: &gradients, threads: 1)
        GradientCheckTests.check("dInput", values: input, analytic: dInput, epsilon: 1e-3, skipKinks: true) { objective($0, parameters) }
        let paths: [(String, WritableKeyPath<MultiScaleTCN.Parameters, Tensor>)] = [
            ("heads0.w", \.heads[0].conv.weight), ("heads0.nw", \.heads[0].norm!.weight), ("heads4.w", \.heads[4].conv.weight),
            ("heads5.w", \.heads[5].conv.weight), ("dil2.w", \.dilated[2].weight), ("dil3.b", \.dilated[3].bias),
            ("transform.w", \.transform.weight), ("tnorm.w", \.transformNorm.weight), ("norm.b", \.norm.bias)]
        for (name, path) in paths {
            GradientCheckTests.check(name, values: parameters[keyPath: path], analytic: gradients[keyPath: path], epsilon: 1e-3, skipKinks: true) {
                var p = parameters; p[keyPath: path] = $0; return objective(input, p)
            }
        }
    }
}

extension GCN1xGradientTests {
    @Test(arguments: [(GCNAdaptive.initial, 3, true), (.initial, 6, true), (.importance, 6, false), (.offset, 6, true), (.none, 6, true)])
    func unitGraphConvolution(_ adaptive: GCNAdaptive, _ cin: Int, _ residual: Bool) throws {
        let graph = try GCNGraph(layout: "coco", mode: .spatial).adjacencyTensor
        let layer = UnitGCN(inputChannels: cin, outputChannels: 6, partitions: 3, adaptive: adaptive, withResidual: residual)
        var parameters = layer.makeParameters(graph: graph)
        parameters.conv.weight = GradientCheckTests.random(parameters.conv.weight.shape, seed: 400)
        parameters.conv.bias = GradientCheckTests.random(parameters.conv.bias.shape, seed: 401)
        parameters.norm.weight = Tensor(shape: [6], storage: GradientCheckTests.random([6], seed: 402, scale: 0.3).storage.map { $0 + 1 })
        parameters.adjacency = Tensor(shape: graph.shape, storage: zip(graph.storage, GradientCheckTests.random(graph.shape, seed: 403, scale: 0.2).storage).map { $0 + $1 })
        if parameters.adaptive != nil { parameters.adaptive = GradientCheckTests.random(graph.shape, seed: 404, scale: 0.5) }
        if parameters.down != nil { parameters.down!.conv.weight = GradientCheckTests.random(parameters.down!.conv.weight.shape, seed: 405) }
        let input = GradientCheckTests.random([2, cin, 4, 17], seed: 406)
        let r = GradientCheckTests.random([2, 6, 4, 17], seed: 407)
        func objective(_ x: Tensor, _ p: UnitGCN.Parameters) -> Double {
            var buffers = layer.makeBuffers()
            return GradientCheckTests.dot(layer.forward(x, p, &buffers, training: true, threads: 1).output, r)
        }
        var buffers = layer.makeBuffers()
        let (_, saved) = layer.forward(input, parameters, &buffers, training: true, threads: 2)
        var gradients = parameters
        gradients.conv.weight.zero(); gradients.conv.bias.zero(); gradients.norm.weight.zero(); gradients.norm.bias.zero()
        gradients.adjacency.zero(); gradients.adaptive?.zero()
        gradients.down?.conv.weight.zero(); gradients.down?.conv.bias.zero(); gradients.down?.norm?.weight.zero(); gradients.down?.norm?.bias.zero()
        let dInput = layer.backward(r, try #require(saved), parameters, into: &gradients, threads: 2)
        GradientCheckTests.check("dInput", values: input, analytic: dInput, epsilon: 1e-3, skipKinks: true) { objective($0, parameters) }
        var paths: [(String, WritableKeyPath<UnitGCN.Parameters, Tensor>)] = [("conv.weight", \.conv.weight), ("norm.weight", \.norm.weight)]
        if adaptive == .initial { paths.append(("A", \.adjacency)) }
        if parameters.adaptive != nil { paths.append(("PA", \.adaptive!)) }
        if parameters.down != nil { paths.append(("down.weight", \.down!.conv.weight)) }
        for (name, path) in paths {
            GradientCheckTests.check(name, values: parameters[keyPath: path], analytic: gradients[keyPath: path], samples: 40, epsilon: 1e-3, skipKinks: true) {
                var p = parameters; p[keyPath: path] = $0; return objective(input, p)
            }
        }
    }
}
