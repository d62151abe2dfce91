import Testing
import ZooTensor
@testable import ZooSTGCN

/// The fused training path (`forwardTraining` / `backwardTraining`, one sequence through a whole phase while it is
/// in cache, with compact saved state) must be the layer-by-layer training forward and backward with the same
/// operations in the same order: equal bits for outputs, BN buffers, every gradient and dInput, block by block, for
/// every residual kind, stride 2, dropout, both retentions and 1 or 2 threads.
@Suite struct FusedTrainingTests {
    /// Four blocks: no residual (block 0), a strided convolution residual, a convolution residual, an identity one.
    static func model() -> STGCN {
        let configuration = STGCNConfiguration(layout: SkeletonLayout.named("coco")!, channels: [8, 8, 16, 16], strides: [1, 2, 1, 1],
                                               dropout: 0.3, numClasses: 5, numPerson: 2)
        var model = STGCN(configuration)
        model.initialize(rng: CounterRNG(seed: 3, stream: 1))
        // Non-trivial importance and BN affine parameters, so every term of the backward is exercised.
        let rng = CounterRNG(seed: 4, stream: 8)
        var index: UInt64 = 0
        for i in model.parameters.blocks.indices {
            func perturb(_ tensor: inout Tensor, around centre: Float) {
                for j in tensor.storage.indices {
                    tensor.storage[j] = centre + (rng.uniform(index) - 0.5) * 0.5
                    index += 1
                }
            }
            perturb(&model.parameters.blocks[i].importance, around: 1)
            perturb(&model.parameters.blocks[i].gcnNorm.weight, around: 1)
            perturb(&model.parameters.blocks[i].gcnNorm.bias, around: 0)
            perturb(&model.parameters.blocks[i].temporalNorm.weight, around: 1)
            perturb(&model.parameters.blocks[i].temporalNorm.bias, around: 0)
        }
        return model
    }

    static func bits(_ gradients: STGCNBlock.Gradients) -> [[UInt32]] {
        var copy = STGCN.Parameters(dataNorm: nil, blocks: [gradients], head: .init(weight: Tensor(zeros: [0]), bias: Tensor(zeros: [0])))
        var result: [[UInt32]] = []
        copy.visitTensors { result.append($0.storage.map(\.bitPattern)) }
        return result
    }

    @Test(arguments: [(STGCNBlock.Retention.full, 1), (.full, 2), (.compact, 1), (.compact, 2)])
    func fusedTrainingEqualsTheLayerByLayerStepBitForBit(_ retention: STGCNBlock.Retention, _ threads: Int) {
        let model = Self.model()
        let rng = CounterRNG(seed: 9, stream: 2)
        var x = Tensor(shape: [3, 3, 12, 17], storage: (0..<3 * 3 * 12 * 17).map { rng.uniform(UInt64($0)) * 2 - 1 })
        for i in model.blocks.indices {
            let block = model.blocks[i], parameters = model.parameters.blocks[i], dropoutRNG = CounterRNG(seed: 5, stream: UInt64(i))
            var layeredBuffers = model.buffers.blocks[i], fusedBuffers = model.buffers.blocks[i]
            let (layered, saved) = block.forward(x, parameters, &layeredBuffers, pattern: model.adjacency, training: true,
                                                 dropoutRNG: dropoutRNG, threads: threads)
            let (fused, state) = block.forwardTraining(x, parameters, &fusedBuffers, pattern: model.adjacency, dropoutRNG: dropoutRNG,
                                                       retention: retention, threads: threads)
            #expect(fused.storage.map(\.bitPattern) == layered.storage.map(\.bitPattern), "block \(i) output")
            #expect(fusedBuffers == layeredBuffers, "block \(i) BN buffers")
            #expect((state.aggregated != nil) == (retention == .full), "block \(i) keeps g only in full")

            let dOutput = Tensor(shape: layered.shape, storage: (0..<layered.count).map { rng.uniform(UInt64(1_000_000 * (i + 1) + $0)) - 0.5 })
            var layeredGradients = model.zeroGradients().blocks[i], fusedGradients = layeredGradients
            let layeredInput = block.backward(dOutput, saved!, parameters, pattern: model.adjacency, into: &layeredGradients, threads: threads)
            let fusedInput = block.backwardTraining(dOutput, input: x, output: fused, state, parameters, pattern: model.adjacency,
                                                    into: &fusedGradients, threads: threads)
            #expect(fusedInput.storage.map(\.bitPattern) == layeredInput.storage.map(\.bitPattern), "block \(i) dInput")
            let left = Self.bits(layeredGradients), right = Self.bits(fusedGradients)
            #expect(left.count == right.count)
            for (index, (a, b)) in zip(left, right).enumerated() { #expect(a == b, "block \(i) gradient tensor \(index)") }
            x = layered
        }
    }

    @Test func retentionFollowsTheBudget() {
        let model = Self.model()
        // Input frames per block: 12, 12, then 6 after block 1's stride 2.
        let sizes = zip(0..<4, [12, 12, 6, 6]).map { model.savedBytes(block: $0, sequences: 6, frames: $1) }
        #expect(model.retention(sequences: 6, frames: 12, budget: .max) == [.full, .full, .full, .full])
        #expect(model.retention(sequences: 6, frames: 12, budget: 0) == [.input, .input, .input, .input])
        let allCompact = sizes.map(\.compact).reduce(0, +)
        #expect(model.retention(sequences: 6, frames: 12, budget: allCompact) == [.compact, .compact, .compact, .compact])
        // One block upgraded to full: the first in order that fits.
        #expect(model.retention(sequences: 6, frames: 12, budget: allCompact + sizes[0].full - sizes[0].compact)
                == [.full, .compact, .compact, .compact])
    }
}
