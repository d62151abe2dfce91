import Foundation
import Testing
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooSTGCN

/// Emulated N-GPU data-parallel training (DDP, broadcast_buffers=False, no SyncBN) against one real two-process
/// MMAction2 0.24.1 DDP step (`ddp2_step_T20/`, see the fixtures README).
@Suite struct DataParallelTests {
    static func batch(_ rank: Int) throws -> (input: Tensor, labels: [Int]) {
        let input = try FixtureTensor.load("ddp2_step_T20/rank\(rank)/input")
        let labels = try FixtureTensor.load("ddp2_step_T20/rank\(rank)/labels").values.map { Int($0) }
        return (Tensor(shape: input.shape, storage: input.floats), labels)
    }

    /// One DDP step from v1_coco60/checkpoint.pth's state_dict with a fresh SGD (the fixture's optimizer), as the fixture ran it.
    static func ddpStep(threads: Int) throws -> (model: STGCN, parallel: DataParallel, losses: [Float]) {
        var model = try Variant.all[0].model()
        var parallel = DataParallel(ranks: 2, model: model)
        let step = parallel.forwardBackward(&model, batches: [try batch(0), try batch(1)], loss: .crossEntropy(lossWeight: 1),
                                            dropout: { _ in nil }, threads: threads)
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        optimizer.step(&model, step.gradients, lr: 0.1)
        return (model, parallel, step.losses)
    }

    /// Three activations of the fixture's forward sit within 4e-6 of a ReLU kink (found by
    /// ``reluKinksExplainTheRemainingDifference()``): block 9 channel 112 and block 7 channel 27 on rank 0, block 8
    /// channel 112 on rank 1. Float32 rounding (ours vs PyTorch's, ~1e-6 apart in the forward) can put such a value on
    /// the other side of zero, which switches that position's gradient on or off; everything upstream then differs by
    /// up to 1.4e-3 in the gradient, 2.6e-4 in the weights after the step (block 0's gcn conv, max |step| 0.076). So the
    /// weights upstream of those kinks are held to 5e-4; everything downstream of them (the head, block 9's temporal
    /// unit), both ranks' BN statistics and both losses to 1e-4 (they match to 5e-7).
    static func tolerance(_ name: String) -> Float {
        let downstream = name.hasPrefix("cls_head.") || name.hasPrefix("backbone.st_gcn_networks.9.tcn.")
        let statistics = name.hasSuffix("running_mean") || name.hasSuffix("running_var")
        return downstream || statistics ? 1e-4 : 5e-4
    }

    @Test func twoRankStepMatchesMMAction2DDP() throws {
        let (model, parallel, losses) = try Self.ddpStep(threads: 2)
        for rank in 0..<2 {
            let expected = try FixtureTensor.load("ddp2_step_T20/rank\(rank)/loss").values[0]
            #expect(abs(Double(losses[rank]) - expected) < 1e-4, "rank \(rank) loss \(losses[rank]) vs \(expected)")
        }
        // Rank 0: the whole state_dict (shared weights and rank 0's BN buffers). Rank 1: its own BN buffers.
        var worst: [String: (Float, String)] = [:]
        var within1e4 = 0, compared = 0
        for rank in 0..<2 {
            var rankModel = model
            rankModel.buffers = parallel.buffers(ofRank: rank, model: model)
            let available = Set(try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("ddp2_step_T20/rank\(rank)/after_step").path)
                .filter { $0.hasSuffix(".bin") }.map { String($0.dropLast(4)) })
            var found = 0
            for (name, _, value) in rankModel.stateDict() where available.contains(name) {
                let expected = try FixtureTensor.load("ddp2_step_T20/rank\(rank)/after_step/\(name)")
                found += 1
                switch value {
                case .floats(let values):
                    expectClose(values, expected.floats, absolute: Self.tolerance(name), relative: 0, "rank \(rank) \(name)")
                    let kind = name.hasSuffix("running_mean") || name.hasSuffix("running_var") ? "rank\(rank) BN statistics" : "weights"
                    let diff = maxAbsDiff(values, expected.floats)
                    if diff > (worst[kind]?.0 ?? -1) { worst[kind] = (diff, name) }
                    compared += 1
                    if diff <= 1e-4 { within1e4 += 1 }
                case .int64(let count): #expect(Double(count) == expected.values[0], "rank \(rank) \(name)")
                }
            }
            #expect(found == available.count, "every fixture tensor of rank \(rank) has a state_dict entry")
            #expect(found == (rank == 0 ? 172 : 69))
        }
        print("ddp2_step_T20 max |ours - MMAction2|: " + worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.0) (\($0.value.1))" }.joined(separator: ", ")
              + "; \(within1e4) of \(compared) float tensors within 1e-4")
        #expect(compared - within1e4 <= 1, "only block 0's gcn conv weight, the farthest upstream of the kinks, exceeds 1e-4")
        // The two ranks' statistics really differ (each rank saw only its own batch).
        #expect(parallel.otherRankBuffers[0] != model.buffers)
    }

    /// The evidence behind ``tolerance(_:)``: the remaining difference sits exactly at near-zero pre-ReLU activations.
    @Test func reluKinksExplainTheRemainingDifference() throws {
        let start = try Variant.all[0].model()
        // (rank, block, channel) of the three activations within 4e-6 of zero before tcn.0's ReLU.
        for (rank, block, channel) in [(0, 9, 112), (0, 7, 27), (1, 8, 112)] {
            var model = start
            let (input, _) = try Self.batch(rank)
            let saved = try #require(model.forward(input, training: true, threads: 2, activationBudget: .max).saved)
            guard case .kept(let state) = saved.blocks[block], let g = state.aggregated else { Issue.record("block \(block) was not kept in full"); continue }
            let norm = state.gcnNorm, parameters = start.parameters.blocks[block].gcnNorm
            let c = g.shape[1], p = g.shape[2...].reduce(1, *)
            var nearest = Float.infinity
            for n in 0..<g.shape[0] {
                for i in 0..<p {
                    let x = g.storage[(n * c + channel) * p + i]
                    nearest = min(nearest, abs((x - norm.mean[channel]) * norm.invStd[channel] * parameters.weight.storage[channel] + parameters.bias.storage[channel]))
                }
            }
            #expect(nearest < 4e-6, "rank \(rank) block \(block) channel \(channel): nearest pre-ReLU value \(nearest)")
        }
        // Downstream of the last kink (block 9, channel 112) every other output channel of block 9's gcn conv matches to 1e-6.
        let (model, _, _) = try Self.ddpStep(threads: 2)
        let name = "backbone.st_gcn_networks.9.gcn.conv.weight"
        guard case .floats(let ours)? = model.stateDict().first(where: { $0.name == name })?.values else { Issue.record("no \(name)"); return }
        let expected = try FixtureTensor.load("ddp2_step_T20/rank0/after_step/\(name)").floats
        var kinkChannel: Float = 0, others: Float = 0
        for row in 0..<(3 * 256) {
            let diff = maxAbsDiff(Array(ours[row * 256..<(row + 1) * 256]), Array(expected[row * 256..<(row + 1) * 256]))
            if row % 256 == 112 { kinkChannel = max(kinkChannel, diff) } else { others = max(others, diff) }
        }
        #expect(others < 1e-6)
        #expect(kinkChannel > 1e-5)
    }

    @Test func oneRankIsTheSingleProcessStepBitForBit() throws {
        let (input, labels) = try Self.batch(0)
        var single = try Variant.all[0].model()
        let (logits, _, saved) = single.forward(input, training: true, threads: 2)
        let (loss, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: labels)
        var gradients = single.zeroGradients()
        single.backward(dLogits, try #require(saved), into: &gradients, threads: 2)
        var singleOptimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        singleOptimizer.step(&single, gradients, lr: 0.1)

        var model = try Variant.all[0].model()
        var parallel = DataParallel(ranks: 1, model: model)
        let step = parallel.forwardBackward(&model, batches: [(input, labels)], loss: .crossEntropy(lossWeight: 1), dropout: { _ in nil }, threads: 2)
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        optimizer.step(&model, step.gradients, lr: 0.1)
        #expect(step.losses == [loss])
        #expect(model.parameters == single.parameters)
        #expect(model.buffers == single.buffers)
        #expect(parallel.otherRankBuffers.isEmpty)
    }

    @Test func twoRanksGiveTheSameBitsWithOneAndTwoThreads() throws {
        let one = try Self.ddpStep(threads: 1), two = try Self.ddpStep(threads: 2)
        #expect(one.model.parameters == two.model.parameters)
        #expect(one.model.buffers == two.model.buffers)
        #expect(one.parallel == two.parallel)
        #expect(one.losses == two.losses)
    }

    @Test func gradientsAreTheRankMeanSummedInRankOrder() throws {
        var model = try Variant.all[0].model()
        var perRank: [STGCN.Gradients] = []
        for rank in 0..<2 {
            var copy = model
            let (input, labels) = try Self.batch(rank)
            let (logits, _, saved) = copy.forward(input, training: true, threads: 2)
            let (_, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: labels)
            var gradients = copy.zeroGradients()
            copy.backward(dLogits, try #require(saved), into: &gradients, threads: 2)
            perRank.append(gradients)
        }
        var parallel = DataParallel(ranks: 2, model: model)
        let step = parallel.forwardBackward(&model, batches: [try Self.batch(0), try Self.batch(1)], loss: .crossEntropy(lossWeight: 1),
                                            dropout: { _ in nil }, threads: 2)
        var expected = perRank[0]
        DataParallel.accumulate(&expected, perRank[1])
        DataParallel.divide(&expected, by: 2)
        #expect(step.gradients == expected)
        #expect(step.gradients != perRank[0])
        #expect(expected.head.bias.storage[0] == (perRank[0].head.bias.storage[0] + perRank[1].head.bias.storage[0]) / 2)
    }

    @Test func broadcastCopiesRankZeroStatisticsButNotCounters() throws {
        var model = try Variant.all[0].model()
        var parallel = DataParallel(ranks: 3, model: model)
        parallel.otherRankBuffers[1].blocks[0].gcnNorm.numBatchesTracked = 7
        model.buffers.blocks[0].gcnNorm.runningMean.storage[0] += 1
        parallel.broadcastBatchNormStatistics(from: model)
        #expect(parallel.otherRankBuffers[0].blocks[0].gcnNorm.runningMean == model.buffers.blocks[0].gcnNorm.runningMean)
        #expect(parallel.otherRankBuffers[1].blocks[0].gcnNorm.runningVar == model.buffers.blocks[0].gcnNorm.runningVar)
        #expect(parallel.otherRankBuffers[1].blocks[0].gcnNorm.numBatchesTracked == 7)
    }

    @Test func rankBuffersRoundTripThroughStateDictEntries() throws {
        let (model, parallel, _) = try Self.ddpStep(threads: 2)
        let entries = model.bufferDict(parallel.otherRankBuffers[0]).map { entry -> (name: String, tensor: StoredTensor) in
            switch entry.values {
            case .floats(let values): (entry.name, StoredTensor(type: .float32, shape: entry.shape, floats: values, integers: nil))
            case .int64(let count): (entry.name, StoredTensor(type: .int64, shape: entry.shape, floats: [Float(count)], integers: [count]))
            }
        }
        #expect(entries.count == 69)
        #expect(try model.loadBuffers(entries) == parallel.otherRankBuffers[0])
        #expect(throws: StateDictError.self) { try model.loadBuffers(Array(entries.dropLast())) }
    }
}
