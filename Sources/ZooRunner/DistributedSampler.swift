// R ranks, B samples per rank's batch, L samples per epoch (training set x RepeatDataset times).
//
// The per-GPU batches of one epoch as MMAction2 0.x lays them out on R GPUs: `DistributedSampler`
// (mmaction/datasets/samplers/distributed_sampler.py) shuffles the epoch once (here: SkelZoo's seeded permutation in
// place of torch.randperm), pads the list to a multiple of R by repeating its head (`indices += indices[:pad]`) and
// gives rank r the positions r, r+R, r+2R, ...; each rank's DataLoader then cuts its list into batches of B in order,
// the last one shorter (drop_last=False). Every rank has the same number of samples, so every step has R equal batches.
// With R = 1 this is exactly the single-process order: the shuffled list cut into batches of B.

/// One epoch's per-GPU batches.
public struct DistributedSampler: Sendable, Equatable {
    /// The shuffled epoch, L dataset indices.
    public let order: [Int]
    public let ranks: Int
    public let batchSize: Int

    public init(order: [Int], ranks: Int, batchSize: Int) {
        precondition(ranks >= 1 && batchSize >= 1, "ranks and batch size must be positive")
        self.order = order
        self.ranks = ranks
        self.batchSize = batchSize
    }

    /// `num_samples = ceil(L / R)`: each rank's share after padding.
    public var samplesPerRank: Int { (order.count + ranks - 1) / ranks }

    /// Iterations (optimizer steps) per epoch: `ceil(num_samples / B)`.
    public var iterations: Int { Self.iterations(epochLength: order.count, ranks: ranks, batchSize: batchSize) }

    /// Iterations per epoch of `epochLength` samples on `ranks` GPUs with `batchSize` per GPU.
    public static func iterations(epochLength: Int, ranks: Int, batchSize: Int) -> Int {
        let perRank = (epochLength + ranks - 1) / ranks
        return (perRank + batchSize - 1) / batchSize
    }

    /// The dataset indices of rank `rank`'s batch at `step`. Padding repeats the head of the shuffled list (cycling it
    /// when L < R - L, where torch's sampler cycles too).
    public func batch(rank: Int, step: Int) -> [Int] {
        precondition(rank >= 0 && rank < ranks && step >= 0 && step < iterations, "rank \(rank), step \(step) out of range")
        let start = step * batchSize, end = min(samplesPerRank, start + batchSize)
        return (start..<end).map { order[(rank + $0 * ranks) % order.count] }
    }
}
