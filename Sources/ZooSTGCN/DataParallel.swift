// R ranks (emulated GPUs), N samples per rank's batch, NC classes.
//
// N-GPU data-parallel training emulated on the CPU exactly as MMAction2 0.x runs it with `--launcher pytorch|slurm`:
// the model wrapped in torch `DistributedDataParallel(broadcast_buffers=False)` (mmaction/apis/train.py), no SyncBN.
// What that means for one iteration, and what this file does:
//   1. every rank runs the train-mode forward on its own per-GPU batch, so each BN layer normalises with the statistics
//      of that rank's N samples only, and updates that rank's own running statistics;
//   2. every rank computes its own mean loss over its N samples and backpropagates it;
//   3. DDP all-reduces the gradients to their mean over the R ranks;
//   4. every rank takes the same optimizer step, so the weights stay equal while the BN running statistics differ.
// The ranks run one after another in this process (each with all the worker threads), so the bits do not depend on the
// thread count. Not emulated: SyncBN (no 0.x ST-GCN config uses it) and fp16 (none uses it either).
import ZooTensor

/// The ranks of an emulated N-GPU data-parallel run: rank 0 is the model itself; ranks 1..<R keep only their own BN
/// running statistics (weights and optimizer state are shared, as DDP keeps them equal).
public struct DataParallel: Sendable, Equatable {
    /// The number of emulated GPUs (DDP world size).
    public let ranks: Int
    /// BN running statistics of ranks 1..<R (rank 0's live in the model, which is what checkpoints save, as MMCV's
    /// `CheckpointHook` saves on rank 0 only).
    public var otherRankBuffers: [STGCN.Buffers]

    /// One data-parallel step's per-rank results, before the optimizer step.
    public struct Step: Sendable {
        /// Each rank's own mean loss, in rank order.
        public var losses: [Float]
        /// Each rank's logits (N, NC), in rank order.
        public var logits: [Tensor]
        /// The gradients averaged over the ranks (summed in rank order, then divided by R).
        public var gradients: STGCN.Gradients
    }

    /// R ranks that all start from `model`'s BN buffers, as every rank of a DDP run loads the same checkpoint (or
    /// starts from the same seeded initialisation).
    public init(ranks: Int, model: STGCN) {
        precondition(ranks >= 1, "data parallel needs at least one rank, got \(ranks)")
        self.ranks = ranks
        otherRankBuffers = Array(repeating: model.buffers, count: ranks - 1)
    }

    /// R ranks with the given buffers for ranks 1..<R (a resumed run).
    public init(ranks: Int, otherRankBuffers: [STGCN.Buffers]) {
        precondition(ranks >= 1 && otherRankBuffers.count == ranks - 1, "\(ranks) ranks need \(ranks - 1) other-rank buffers, got \(otherRankBuffers.count)")
        self.ranks = ranks
        self.otherRankBuffers = otherRankBuffers
    }

    /// BN buffers of rank `rank` (0 is the model's).
    public func buffers(ofRank rank: Int, model: STGCN) -> STGCN.Buffers {
        rank == 0 ? model.buffers : otherRankBuffers[rank - 1]
    }

    // MARK: - Forward and backward

    /// Runs every rank's train-mode forward, loss and backward, and averages the gradients.
    ///
    /// With one rank this is exactly the single-process step (the gradients are rank 0's, untouched).
    /// - Parameters:
    ///   - model: the shared weights; its `buffers` are rank 0's and are updated by rank 0's batch statistics.
    ///   - batches: one (input (N, C, T, V, M), N labels) per rank, in rank order; every rank's N is the same.
    ///   - loss: each rank's loss (a mean over its own N samples).
    ///   - dropout: the dropout stream of rank r (nil when the model has no dropout or for none).
    ///   - workspace: buffers for the steps' training state; one for a whole run reuses them across steps.
    /// - Returns: per-rank losses and logits, and the averaged gradients.
    public mutating func forwardBackward(_ model: inout STGCN, batches: [(input: Tensor, labels: [Int])], loss: Loss,
                                         dropout: (Int) -> CounterRNG?, threads: Int, workspace: TrainingWorkspace = TrainingWorkspace()) -> Step {
        precondition(batches.count == ranks, "\(ranks) ranks need \(ranks) per-GPU batches, got \(batches.count)")
        precondition(Set(batches.map(\.labels.count)).count == 1, "DistributedSampler gives every rank the same batch size")
        var losses: [Float] = [], logits: [Tensor] = []
        var sum: STGCN.Gradients?
        for rank in 0..<ranks {
            // Rank r normalises with its own batch and updates its own running statistics.
            if rank > 0 { swap(&model.buffers, &otherRankBuffers[rank - 1]) }
            let (rankLogits, _, saved) = model.forward(batches[rank].input, training: true, dropoutRNG: dropout(rank), threads: threads,
                                                         workspace: workspace)
            if rank > 0 { swap(&model.buffers, &otherRankBuffers[rank - 1]) }
            let (rankLoss, dLogits) = loss.forward(rankLogits, labels: batches[rank].labels)
            guard let saved else { preconditionFailure("training forward keeps its state") }
            var gradients = model.zeroGradients()
            model.backward(dLogits, saved, into: &gradients, threads: threads)
            losses.append(rankLoss)
            logits.append(rankLogits)
            if sum == nil {
                sum = gradients
            } else {
                Self.accumulate(&sum!, gradients)
            }
        }
        guard var gradients = sum else { preconditionFailure("at least one rank") }
        if ranks > 1 { Self.divide(&gradients, by: ranks) }
        return Step(losses: losses, logits: logits, gradients: gradients)
    }

    /// The mean over ranks of per-rank values, as MMCV logs them (`_parse_losses` all-reduces each log var divided by
    /// the world size): summed in rank order in Double, then divided by R.
    public static func mean(_ values: [Double]) -> Double {
        var total = 0.0
        for value in values { total += value }
        return values.count == 1 ? total : total / Double(values.count)
    }

    // MARK: - Buffers

    /// MMCV's `DistEvalHook(broadcast_bn_buffer=True)`: before each evaluation, rank 0's BN `running_mean` and
    /// `running_var` are broadcast to every rank (`num_batches_tracked` is not, and is equal on all ranks anyway).
    public mutating func broadcastBatchNormStatistics(from model: STGCN) {
        for index in otherRankBuffers.indices {
            let counters = otherRankBuffers[index]
            var copy = model.buffers
            // Keep each rank's own counters: the hook broadcasts the two float statistics only.
            copy.dataNorm?.numBatchesTracked = counters.dataNorm?.numBatchesTracked ?? 0
            for block in copy.blocks.indices {
                copy.blocks[block].gcnNorm.numBatchesTracked = counters.blocks[block].gcnNorm.numBatchesTracked
                copy.blocks[block].temporalNorm.numBatchesTracked = counters.blocks[block].temporalNorm.numBatchesTracked
                if copy.blocks[block].residualNorm != nil {
                    copy.blocks[block].residualNorm!.numBatchesTracked = counters.blocks[block].residualNorm?.numBatchesTracked ?? 0
                }
            }
            otherRankBuffers[index] = copy
        }
    }

    // MARK: - Gradient all-reduce

    /// `sum += gradients`, element by element (the all-reduce's sum, one rank at a time in rank order).
    static func accumulate(_ sum: inout STGCN.Gradients, _ gradients: STGCN.Gradients) {
        var others: [Tensor] = []
        var copy = gradients
        copy.visitTensors { others.append($0) }
        var index = 0
        sum.visitTensors { tensor in
            let other = others[index]
            precondition(other.shape == tensor.shape, "gradient shapes of two ranks differ")
            tensor.withUnsafeMutableBufferPointer { s in
                other.withUnsafeBufferPointer { g in
                    for i in 0..<s.count { s[i] = s[i] + g[i] }
                }
            }
            index += 1
        }
    }

    /// `gradients /= R`. PyTorch's DDP divides each rank's gradient by R before its all-reduce sum; for R a power of
    /// two both orders give the same bits (division by 2^k is exact), otherwise they may differ in the last bit.
    static func divide(_ gradients: inout STGCN.Gradients, by ranks: Int) {
        let divisor = Float(ranks)
        gradients.visitTensors { tensor in
            tensor.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] = g[i] / divisor }
            }
        }
    }
}
