// MMCV checkpoints written and read by the runner: {'meta', 'state_dict', 'optimizer'} in torch's zip container,
// loadable by `torch.load(f, weights_only=True)` and MMAction2 0.x's `load_checkpoint`.
import Crypto
import Foundation
import ZooConfig
import ZooSTGCN
import ZooTensor
import ZooTorch

/// Where a run stands, as a checkpoint's `meta` records it.
public struct TrainingPosition: Sendable, Equatable, Codable {
    /// Completed epochs.
    public var epoch: Int
    /// Completed iterations (over all epochs).
    public var iteration: Int
    public var seed: UInt64
    public var configHash: String
    /// The arithmetic that wrote it (``Arithmetic/label``); nil in checkpoints from before it was recorded.
    public var arithmetic: String? = Arithmetic.label
    /// Iterations done within the epoch in progress (0 at an epoch's end): a checkpoint written mid-epoch, when the
    /// run was asked to stop (see ``StopRequest``), resumes at this step of the epoch's sampler order.
    public var stepInEpoch: Int = 0
    /// The epoch in progress's running sums of the logged loss and training top-1 (its summary is their mean).
    public var epochLossSum: Double = 0
    public var epochTop1Sum: Double = 0

    public init(epoch: Int, iteration: Int, seed: UInt64, configHash: String, arithmetic: String? = Arithmetic.label) {
        self.epoch = epoch
        self.iteration = iteration
        self.seed = seed
        self.configHash = configHash
        self.arithmetic = arithmetic
    }
}

/// What a runner checkpoint holds beyond the model and optimizer: the position and the data-parallel layout.
public struct RestoredRun: Sendable {
    public var position: TrainingPosition
    /// Emulated GPUs the run was trained on (1 when the checkpoint records none).
    public var gpus: Int
    /// Samples per GPU per step when the checkpoint records them (runs on more than one GPU, or with a batch other
    /// than the config's); nil: the config's `videos_per_gpu`.
    public var perGPUBatch: Int?
    /// BN buffers of ranks 1..<gpus.
    public var otherRankBuffers: [STGCN.Buffers]
}

/// The `meta` keys MMCV's runner writes that a SkelZoo checkpoint can state honestly (mmcv 1.x `save_checkpoint`,
/// MMAction2 0.24.1 `tools/train.py`):
/// - `config`: the config as MMAction2 Python text (``MMAction2Export/checkpointText(_:name:)``); mmcv's `resume` parses
///   it with `Config.fromstring(text, '.py')`, so it must be Python, not SkelZoo's YAML;
/// - `time`: when the file was written, as Python's `time.asctime()` prints it (local time);
/// - `env_info`: the environment, `key: value` lines as MMAction2's `collect_env` joins them;
/// - `hook_msgs`: empty. SkelZoo runs none of mmcv's hooks (CheckpointHook's `last_ckpt`, EvalHook's `best_score` and
///   `best_ckpt`), and mmcv's `resume` merges whatever dict is there.
/// `mmcv_version` and `mmaction_version` are left out: SkelZoo is neither, and no reader needs them (mmcv writes
/// `mmcv_version` and reads it nowhere).
public struct CheckpointProvenance: Sendable, Equatable {
    public var config: String
    public var time: String
    public var environment: String

    public init(config: String, time: String, environment: String) {
        self.config = config
        self.time = time
        self.environment = environment
    }

    /// The provenance of a checkpoint of `config` written at `date` on this machine.
    public static func current(config: ExperimentConfig, configName: String, date: Date = Date()) -> CheckpointProvenance {
        CheckpointProvenance(config: MMAction2Export.checkpointText(config, name: configName), time: asctime(date),
                             environment: environmentInfo(.current))
    }

    /// `Fri Nov 27 07:31:34 2026`: Python's `time.asctime()` in the local time zone (day of month padded with a space).
    public static func asctime(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = String(format: "%2d", parts.day ?? 0)
        return "\(days[(parts.weekday ?? 1) - 1]) \(months[(parts.month ?? 1) - 1]) \(day) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(parts.year ?? 0)"
    }

    /// `key: value` lines, as MMAction2's `collect_env` output is joined for `meta['env_info']`. Only what is the same for
    /// every run of one build on one machine: not the thread count nor the GEMM kernel (ISA), which change the speed and
    /// never the bits, so a run's checkpoints stay byte-identical however they were computed (result.json and the
    /// registry record both).
    public static func environmentInfo(_ machine: MachineInfo) -> String {
        #if os(Linux)
        let platform = "linux"
        #else
        let platform = "darwin"
        #endif
        return ["sys.platform: \(platform)", "CPU: \(machine.cpu)", "CPU cores: \(machine.cores)",
                "SkelZoo arithmetic: \(machine.arithmetic)"].joined(separator: "\n")
    }
}

public enum CheckpointIO {
    /// The `meta` key of SkelZoo's data-parallel layout: `{world_size, per_gpu_batch, rank_buffers}`, where
    /// `rank_buffers` is a list (ranks 1..<world_size) of OrderedDicts holding each rank's BN `running_mean`,
    /// `running_var` and `num_batches_tracked` under their state_dict names. `state_dict` holds rank 0's, as the
    /// checkpoint MMCV saves on rank 0 does; the other ranks' are kept here so a resumed run continues with the same
    /// bits. MMAction2 ignores unknown meta keys, and torch.load(weights_only=True) reads plain tensors anywhere.
    public static let dataParallelKey = "skelzoo_data_parallel"

    /// The `meta` key of a checkpoint written mid-epoch: `{step, loss_sum, top1_sum}`, the iterations done in the epoch
    /// in progress (`epoch` counts completed epochs) and its running sums of the logged loss and top-1. Absent in a
    /// checkpoint written at an epoch's end (and in every checkpoint from before mid-epoch checkpoints), meaning step 0.
    public static let midEpochKey = "skelzoo_mid_epoch"

    /// The checkpoint bytes for a model, its optimizer state and position.
    /// - Parameters:
    ///   - provenance: mmcv's `config`, `time`, `env_info` and `hook_msgs` (see ``CheckpointProvenance``); nil leaves them out.
    ///   - hyperparameters: the config's optimizer section; its decimal values are written as Python floats (doubles),
    ///     as torch stores them, not the float32 values ``SGD`` computes with (0.9, not 0.8999999761581421).
    public static func encode(model: STGCN, optimizer: SGD, hyperparameters: OptimizerConfig, learningRate: Double,
                              position: TrainingPosition, configName: String, dataParallel: (DataParallel, perGPUBatch: Int)? = nil,
                              provenance: CheckpointProvenance? = nil) -> [UInt8] {
        let parameterShapes = model.stateEntries.compactMap { entry -> [Int]? in
            if case .parameter = entry.slot { return entry.shape }
            return nil
        }
        let layout = dataParallel.map { (parallel, perGPUBatch) in
            (ranks: parallel.ranks, perGPUBatch: perGPUBatch, rankBuffers: parallel.otherRankBuffers.map { model.bufferDict($0) })
        }
        return encode(stateDict: model.stateDict(), parameterShapes: parameterShapes, optimizer: optimizer, hyperparameters: hyperparameters,
                      learningRate: learningRate, position: position, configName: configName, dataParallel: layout, provenance: provenance)
    }

    /// The checkpoint bytes for any network given as its state_dict (PyTorch's order) and its trainable parameters' PyTorch
    /// shapes in `model.parameters()` order (the optimizer's momentum buffers are written with them).
    /// - Parameter dataParallel: the emulated GPUs, the per-GPU batch and the BN buffers of ranks 1..<R (see ``dataParallelKey``).
    public static func encode(stateDict model: [(name: String, shape: [Int], values: STGCN.StateValue)], parameterShapes: [[Int]],
                              optimizer: SGD, hyperparameters: OptimizerConfig, learningRate: Double, position: TrainingPosition,
                              configName: String,
                              dataParallel: (ranks: Int, perGPUBatch: Int, rankBuffers: [[(name: String, shape: [Int], values: STGCN.StateValue)]])? = nil,
                              provenance: CheckpointProvenance? = nil) -> [UInt8] {
        var storages: [(key: String, bytes: [UInt8])] = []
        func tensor(_ values: [Float], shape: [Int]) -> PickleOutput {
            let key = String(storages.count)
            storages.append((key, NumericEncoding.littleEndian(values)))
            return .tensor(key: key, type: .float32, shape: shape)
        }
        func entries(_ dict: [(name: String, shape: [Int], values: STGCN.StateValue)]) -> [(String, PickleOutput)] {
            dict.map { name, shape, value in
                switch value {
                case .floats(let values): return (name, tensor(values, shape: shape))
                case .int64(let count):
                    let key = String(storages.count)
                    storages.append((key, withUnsafeBytes(of: count.littleEndian) { Array($0) }))
                    return (name, .tensor(key: key, type: .int64, shape: []))
                }
            }
        }
        let stateDict = entries(model)
        var state: [(Int, PickleOutput)] = []
        if let buffers = optimizer.buffers {
            for (index, buffer) in buffers.enumerated() {
                state.append((index, .dict([("momentum_buffer", tensor(buffer.storage, shape: parameterShapes[index]))])))
            }
        }
        let group: PickleOutput = .dict([
            ("lr", .float(learningRate)), ("momentum", .float(hyperparameters.momentum)), ("dampening", .int(0)),
            ("weight_decay", .float(hyperparameters.weightDecay)), ("nesterov", .bool(hyperparameters.nesterov)),
            ("maximize", .bool(false)), ("foreach", .none), ("differentiable", .bool(false)), ("fused", .none),
            ("initial_lr", .float(hyperparameters.lr)), ("params", .list((0..<parameterShapes.count).map { .int($0) })),
        ])
        var metaEntries: [(String, PickleOutput)] = [
            ("epoch", .int(position.epoch)), ("iter", .int(position.iteration)), ("seed", .int(Int(truncatingIfNeeded: position.seed))),
            ("config_name", .string(configName)), ("config_hash", .string(position.configHash)),
            ("skelzoo_arithmetic", .string(position.arithmetic ?? Arithmetic.label)),
            ("skelzoo_rng", .dict([("seed", .int(Int(truncatingIfNeeded: position.seed))), ("next_epoch", .int(position.epoch)),
                                   ("next_iteration", .int(position.iteration))])),
        ]
        if let provenance {
            metaEntries += [("config", .string(provenance.config)), ("time", .string(provenance.time)),
                            ("env_info", .string(provenance.environment)), ("hook_msgs", .dict([]))]
        }
        // Only a mid-epoch checkpoint carries the epoch in progress, so end-of-epoch checkpoints keep their old contents.
        if position.stepInEpoch > 0 {
            metaEntries.append((midEpochKey, .dict([("step", .int(position.stepInEpoch)), ("loss_sum", .float(position.epochLossSum)),
                                                    ("top1_sum", .float(position.epochTop1Sum))])))
        }
        if let (ranks, perGPUBatch, rankBuffers) = dataParallel {
            metaEntries.append((dataParallelKey, .dict([("world_size", .int(ranks)), ("per_gpu_batch", .int(perGPUBatch)),
                                                        ("rank_buffers", .list(rankBuffers.map { .orderedDict(entries($0)) }))])))
        }
        let meta: PickleOutput = .dict(metaEntries)
        let root: PickleOutput = .dict([
            ("meta", meta), ("state_dict", .orderedDict(stateDict)),
            ("optimizer", .dict([("state", .intDict(state)), ("param_groups", .list([group]))])),
        ])
        return TorchSaver.archive(root, storages: storages, archiveName: "archive")
    }

    /// Reads a runner checkpoint back: weights into `model`, momentum buffers into `optimizer`, and the position.
    /// - Throws: ``RunnerError`` naming the file for anything unreadable or not matching.
    public static func restore(from url: URL, into model: inout STGCN, optimizer: inout SGD) throws -> TrainingPosition {
        try restoreRun(from: url, into: &model, optimizer: &optimizer).position
    }

    /// Reads a runner checkpoint back with its data-parallel layout (see ``dataParallelKey``).
    /// - Throws: ``RunnerError`` naming the file for anything unreadable or not matching.
    public static func restoreRun(from url: URL, into model: inout STGCN, optimizer: inout SGD) throws -> RestoredRun {
        var loaded = model
        let shapes = model.parameterPaths.map { model.parameters[keyPath: $0].shape }
        let run = try restore(from: url, optimizer: &optimizer, parameterShapes: shapes,
                              load: { stateDict in try loaded.load(stateDict: stateDict) },
                              loadBuffers: { stored in try model.loadBuffers(stored) })
        model = loaded
        return RestoredRun(position: run.position, gpus: run.gpus, perGPUBatch: run.perGPUBatch, otherRankBuffers: run.otherRankBuffers)
    }

    /// Reads a runner checkpoint of any network back: `load` takes its state_dict, `optimizer` its momentum buffers
    /// (one per parameter, in `model.parameters()` order, shaped as `parameterShapes`), `loadBuffers` each other rank's
    /// BN buffers.
    /// - Throws: ``RunnerError`` naming the file for anything unreadable or not matching.
    public static func restore<Buffers>(from url: URL, optimizer: inout SGD, parameterShapes: [[Int]],
                                        load: ([(name: String, tensor: StoredTensor)]) throws -> Void,
                                        loadBuffers: ([(name: String, tensor: StoredTensor)]) throws -> Buffers)
        throws -> (position: TrainingPosition, gpus: Int, perGPUBatch: Int?, otherRankBuffers: [Buffers]) {
        let file: TorchCheckpoint
        do { file = try TorchCheckpoint.load(contentsOf: url) } catch {
            throw RunnerError("\(url.path) is unreadable: \(error)", hint: "the file is kept; move it away to start over, or resume from an epoch_N.pth copy")
        }
        do { try load(try file.stateDict()) } catch {
            throw RunnerError("\(url.path) does not fit this config: \(error)")
        }
        guard let meta = file.meta, let epoch = meta["epoch"]?.int, let iteration = meta["iter"]?.int,
              let seed = meta["seed"]?.int, let hash = meta["config_hash"]?.string else {
            throw RunnerError("\(url.path) has no SkelZoo meta (epoch, iter, seed, config_hash)", hint: "use --load-from to start from its weights instead")
        }
        if let optimizerState = file.root.dictionary?["optimizer"]?.dictionary, let state = optimizerState["state"]?.dictionary {
            var buffers: [Tensor] = []
            for (index, shape) in parameterShapes.enumerated() {
                guard let entry = state.entries.first(where: { $0.key.int == index })?.value.dictionary,
                      case .tensor(let reference)? = entry["momentum_buffer"] else { break }
                let stored: StoredTensor
                do { stored = try file.tensor(reference) } catch { throw RunnerError("\(url.path): momentum buffer \(index): \(error)") }
                guard stored.count == shape.reduce(1, *) else { throw RunnerError("\(url.path): momentum buffer \(index) has \(stored.count) values, expected \(shape.reduce(1, *))") }
                buffers.append(Tensor(shape: shape, storage: stored.floats))
            }
            optimizer.buffers = buffers.count == parameterShapes.count ? buffers : nil
        }
        var position = TrainingPosition(epoch: epoch, iteration: iteration, seed: UInt64(truncatingIfNeeded: seed), configHash: hash,
                                        arithmetic: meta["skelzoo_arithmetic"]?.string)
        if let midEpoch = meta[midEpochKey] {
            guard let fields = midEpoch.dictionary, let step = fields["step"]?.int, step >= 1, step <= iteration,
                  let lossSum = fields["loss_sum"]?.double, let top1Sum = fields["top1_sum"]?.double else {
                throw RunnerError("\(url.path): meta '\(midEpochKey)' is malformed (step >= 1 and at most iter, loss_sum and top1_sum floats expected)")
            }
            position.stepInEpoch = step
            position.epochLossSum = lossSum
            position.epochTop1Sum = top1Sum
        }
        guard let layoutValue = meta[dataParallelKey] else { return (position, 1, nil, []) }
        guard let layout = layoutValue.dictionary, let gpus = layout["world_size"]?.int, gpus >= 1, gpus <= maxGPUs,
              let perGPUBatch = layout["per_gpu_batch"]?.int, perGPUBatch >= 1, let ranks = layout["rank_buffers"]?.items, ranks.count == gpus - 1 else {
            throw RunnerError("\(url.path): meta '\(dataParallelKey)' is malformed (world_size, per_gpu_batch, and one rank_buffers dict per rank after 0 expected)")
        }
        var others: [Buffers] = []
        for (index, rank) in ranks.enumerated() {
            guard let dict = rank.dictionary else { throw RunnerError("\(url.path): rank_buffers[\(index)] is a \(rank.kind), not a dict") }
            var stored: [(name: String, tensor: StoredTensor)] = []
            for entry in dict.entries {
                guard let name = entry.key.string, case .tensor(let reference) = entry.value else {
                    throw RunnerError("\(url.path): rank_buffers[\(index)] holds a \(entry.value.kind) where a named tensor belongs")
                }
                do { stored.append((name, try file.tensor(reference))) } catch { throw RunnerError("\(url.path): rank \(index + 1) \(name): \(error)") }
            }
            do { others.append(try loadBuffers(stored)) } catch { throw RunnerError("\(url.path): BN buffers of GPU \(index + 1): \(error)") }
        }
        return (position, gpus, perGPUBatch, others)
    }

    /// The most emulated GPUs a checkpoint may declare (a bound on what a file can make the runner allocate).
    public static let maxGPUs = 1024

    /// `weights_sha256`: SHA-256 over the state_dict in PyTorch's order; for each entry its name in UTF-8, one zero
    /// byte, then its values' raw little-endian bytes (float32, or int64 for `num_batches_tracked`).
    public static func weightsSHA256(_ model: STGCN) -> String { weightsSHA256(stateDict: model.stateDict()) }

    /// ``weightsSHA256(_:)`` of any network's state_dict.
    public static func weightsSHA256(stateDict: [(name: String, shape: [Int], values: STGCN.StateValue)]) -> String {
        let model = stateDict
        var hasher = SHA256()
        for (name, _, value) in model {
            hasher.update(data: Array(name.utf8) + [0])
            switch value {
            case .floats(let values): hasher.update(data: NumericEncoding.littleEndian(values))
            case .int64(let count): withUnsafeBytes(of: count.littleEndian) { hasher.update(bufferPointer: $0) }
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
