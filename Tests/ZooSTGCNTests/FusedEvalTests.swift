import Testing
import ZooTensor
import ZooTestSupport
@testable import ZooSTGCN

/// The fused eval path (`forwardEval`, one sequence through a whole block while it is in cache) must be the
/// layer-by-layer eval forward with the same operations in the same order: equal bits, block by block.
@Suite struct FusedEvalTests {
    @Test func forwardEvalEqualsTheLayerByLayerForwardBitForBit() throws {
        let model = try Variant.all[0].model()
        let input = try FixtureTensor.load("v1_coco60/T20/input")
        var reference = model
        var (x, _) = reference.normalizeInput(Tensor(shape: input.shape, storage: input.floats), training: false, threads: 2)
        for i in model.blocks.indices {
            var buffers = model.buffers.blocks[i]
            let (layered, _) = model.blocks[i].forward(x, model.parameters.blocks[i], &buffers, pattern: model.adjacency,
                                                       training: false, dropoutRNG: nil, threads: 2)
            let fused = model.blocks[i].forwardEval(x, model.parameters.blocks[i], model.buffers.blocks[i], pattern: model.adjacency, threads: 2)
            #expect(fused.shape == layered.shape, "block \(i)")
            let first = fused.storage.indices.first { fused.storage[$0].bitPattern != layered.storage[$0].bitPattern }
            #expect(first == nil, "block \(i): first difference at \(first ?? -1)")
            x = layered
        }
    }
}
