import Testing
import ZooTensor
@testable import ZooSTGCN

/// Blocks recomputed in `backward` (to bound memory) give the same gradients and buffers, bit for bit, as
/// blocks whose state was kept: the same operations in the same order, dropout masks included.
@Suite struct RecomputeTests {
    static func step(budget: Int) -> (STGCN.Gradients, STGCN.Buffers, Tensor) {
        let configuration = STGCNConfiguration(layout: SkeletonLayout.named("coco")!, channels: [8, 8, 16, 16], strides: [1, 2, 1, 1], dropout: 0.3,
                                               numClasses: 5, numPerson: 2)
        var model = STGCN(configuration)
        model.initialize(rng: CounterRNG(seed: 3, stream: 1))
        let rng = CounterRNG(seed: 9, stream: 2)
        let input = Tensor(shape: [3, 3, 12, 17, 2], storage: (0..<3 * 3 * 12 * 17 * 2).map { rng.uniform(UInt64($0)) * 2 - 1 })
        let (logits, _, saved) = model.forward(input, training: true, dropoutRNG: CounterRNG(seed: 9, stream: 3), threads: 2,
                                               activationBudget: budget)
        let (_, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: [0, 3, 4])
        var gradients = model.zeroGradients()
        model.backward(dLogits, saved!, into: &gradients, threads: 2)
        return (gradients, model.buffers, logits)
    }

    @Test(arguments: [0, 400_000])  // all blocks recomputed; the first kept, the rest recomputed
    func recomputedBlocksGiveTheKeptBlocksBits(_ budget: Int) {
        let (kept, keptBuffers, keptLogits) = Self.step(budget: .max)
        let (recomputed, recomputedBuffers, recomputedLogits) = Self.step(budget: budget)
        #expect(recomputedLogits == keptLogits)
        #expect(recomputedBuffers == keptBuffers)
        var a = kept, b = recomputed
        var left: [[Float]] = [], right: [[Float]] = []
        a.visitTensors { left.append($0.storage) }
        b.visitTensors { right.append($0.storage) }
        #expect(left.count == right.count)
        for (index, (x, y)) in zip(left, right).enumerated() {
            #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "tensor \(index)")
        }
    }
}
