import Testing
import ZooTensor
@testable import ZooSTGCN

/// Whatever the saved-state budget keeps (full, compact, or only the input with the block's forward rerun in
/// `backward`), a training step gives the same logits, buffers and gradients, bit for bit, dropout masks included;
/// and the model's fused step equals a step through the layer-by-layer block forward and backward.
@Suite struct RecomputeTests {
    static let input: Tensor = {
        let rng = CounterRNG(seed: 9, stream: 2)
        return Tensor(shape: [3, 3, 12, 17, 2], storage: (0..<3 * 3 * 12 * 17 * 2).map { rng.uniform(UInt64($0)) * 2 - 1 })
    }()

    static func model() -> STGCN {
        let configuration = STGCNConfiguration(layout: SkeletonLayout.named("coco")!, channels: [8, 8, 16, 16], strides: [1, 2, 1, 1], dropout: 0.3,
                                               numClasses: 5, numPerson: 2)
        var model = STGCN(configuration)
        model.initialize(rng: CounterRNG(seed: 3, stream: 1))
        return model
    }

    static func step(budget: Int) -> (STGCN.Gradients, STGCN.Buffers, Tensor) {
        var model = model()
        let (logits, _, saved) = model.forward(input, training: true, dropoutRNG: CounterRNG(seed: 9, stream: 3), threads: 2,
                                               activationBudget: budget)
        let (_, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: [0, 3, 4])
        var gradients = model.zeroGradients()
        model.backward(dLogits, saved!, into: &gradients, threads: 2)
        return (gradients, model.buffers, logits)
    }

    /// The same step through `STGCNBlock.forward`/`backward` (layer by layer, everything saved).
    static func layeredStep() -> (STGCN.Gradients, STGCN.Buffers, Tensor) {
        var model = model()
        let dropoutRNG = CounterRNG(seed: 9, stream: 3)
        var (x, dataSaved) = model.normalizeInput(input, training: true, threads: 2)
        var saved: [STGCNBlock.Saved] = []
        for i in model.blocks.indices {
            let (y, blockSaved) = model.blocks[i].forward(x, model.parameters.blocks[i], &model.buffers.blocks[i], pattern: model.adjacency,
                                                          training: true, dropoutRNG: dropoutRNG.substream(UInt64(i)), threads: 2)
            saved.append(blockSaved!)
            x = y
        }
        let (logits, headSaved) = model.head.forward(x, model.parameters.head)
        let (_, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: [0, 3, 4])
        var gradients = model.zeroGradients()
        var dx = model.head.backward(dLogits, headSaved, model.parameters.head, into: &gradients.head)
        for i in model.blocks.indices.reversed() {
            dx = model.blocks[i].backward(dx, saved[i], model.parameters.blocks[i], pattern: model.adjacency, into: &gradients.blocks[i], threads: 2)
        }
        let s = dx.shape[0], c = dx.shape[1], t = dx.shape[2], v = dx.shape[3]
        var permuted = Tensor(zeros: [s, v * c, t])
        for n in 0..<s { for j in 0..<v { for ch in 0..<c { for f in 0..<t {
            permuted.storage[((n * v + j) * c + ch) * t + f] = dx.storage[((n * c + ch) * t + f) * v + j]
        } } } }
        _ = BatchNorm.backward(permuted, dataSaved!, model.parameters.dataNorm!, into: &gradients.dataNorm!, threads: 2)
        return (gradients, model.buffers, logits)
    }

    static func expectSameBits(_ a: (STGCN.Gradients, STGCN.Buffers, Tensor), _ b: (STGCN.Gradients, STGCN.Buffers, Tensor)) {
        #expect(a.2.storage.map(\.bitPattern) == b.2.storage.map(\.bitPattern))
        #expect(a.1 == b.1)
        var x = a.0, y = b.0
        var left: [[UInt32]] = [], right: [[UInt32]] = []
        x.visitTensors { left.append($0.storage.map(\.bitPattern)) }
        y.visitTensors { right.append($0.storage.map(\.bitPattern)) }
        #expect(left.count == right.count)
        for (index, (l, r)) in zip(left, right).enumerated() { #expect(l == r, "tensor \(index)") }
    }

    // All blocks rerun; the first blocks compact, the rest rerun; all compact; all full.
    @Test(arguments: [0, 400_000, 1_000_000, Int.max])
    func everyBudgetGivesTheLayerByLayerBits(_ budget: Int) {
        Self.expectSameBits(Self.step(budget: budget), Self.layeredStep())
    }
}
