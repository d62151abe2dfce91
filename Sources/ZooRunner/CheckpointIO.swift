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
}

public enum CheckpointIO {
    /// The checkpoint bytes for a model, its optimizer state and position.
    /// - Parameters:
    ///   - hyperparameters: the config's optimizer section; its decimal values are written as Python floats (doubles),
    ///     as torch stores them, not the float32 values ``SGD`` computes with (0.9, not 0.8999999761581421).
    public static func encode(model: STGCN, optimizer: SGD, hyperparameters: OptimizerConfig, learningRate: Double,
                              position: TrainingPosition, configName: String) -> [UInt8] {
        var storages: [(key: String, bytes: [UInt8])] = []
        func tensor(_ values: [Float], shape: [Int]) -> PickleOutput {
            let key = String(storages.count)
            storages.append((key, NumericEncoding.littleEndian(values)))
            return .tensor(key: key, type: .float32, shape: shape)
        }
        var stateDict: [(String, PickleOutput)] = []
        for (name, shape, value) in model.stateDict() {
            switch value {
            case .floats(let values): stateDict.append((name, tensor(values, shape: shape)))
            case .int64(let count):
                let key = String(storages.count)
                storages.append((key, withUnsafeBytes(of: count.littleEndian) { Array($0) }))
                stateDict.append((name, .tensor(key: key, type: .int64, shape: [])))
            }
        }
        let paths = model.parameterPaths
        var state: [(Int, PickleOutput)] = []
        if let buffers = optimizer.buffers {
            for (index, buffer) in buffers.enumerated() {
                state.append((index, .dict([("momentum_buffer", tensor(buffer.storage, shape: torchShape(model, index: index)))])))
            }
        }
        let group: PickleOutput = .dict([
            ("lr", .float(learningRate)), ("momentum", .float(hyperparameters.momentum)), ("dampening", .int(0)),
            ("weight_decay", .float(hyperparameters.weightDecay)), ("nesterov", .bool(hyperparameters.nesterov)),
            ("maximize", .bool(false)), ("foreach", .none), ("differentiable", .bool(false)), ("fused", .none),
            ("initial_lr", .float(hyperparameters.lr)), ("params", .list((0..<paths.count).map { .int($0) })),
        ])
        let meta: PickleOutput = .dict([
            ("epoch", .int(position.epoch)), ("iter", .int(position.iteration)), ("seed", .int(Int(truncatingIfNeeded: position.seed))),
            ("config_name", .string(configName)), ("config_hash", .string(position.configHash)),
            ("skelzoo_arithmetic", .string(position.arithmetic ?? Arithmetic.label)),
            ("skelzoo_rng", .dict([("seed", .int(Int(truncatingIfNeeded: position.seed))), ("next_epoch", .int(position.epoch)),
                                   ("next_iteration", .int(position.iteration))])),
        ])
        let root: PickleOutput = .dict([
            ("meta", meta), ("state_dict", .orderedDict(stateDict)),
            ("optimizer", .dict([("state", .intDict(state)), ("param_groups", .list([group]))])),
        ])
        return TorchSaver.archive(root, storages: storages, archiveName: "archive")
    }

    /// PyTorch's shape of parameter `index` (conv weights keep their trailing 1x1 / x1 dimensions).
    static func torchShape(_ model: STGCN, index: Int) -> [Int] {
        model.stateEntries.filter { if case .parameter = $0.slot { true } else { false } }[index].shape
    }

    /// Reads a runner checkpoint back: weights into `model`, momentum buffers into `optimizer`, and the position.
    /// - Throws: ``RunnerError`` naming the file for anything unreadable or not matching.
    public static func restore(from url: URL, into model: inout STGCN, optimizer: inout SGD) throws -> TrainingPosition {
        let file: TorchCheckpoint
        do { file = try TorchCheckpoint.load(contentsOf: url) } catch {
            throw RunnerError("\(url.path) is unreadable: \(error)", hint: "the file is kept; move it away to start over, or resume from an epoch_N.pth copy")
        }
        do { try model.load(stateDict: try file.stateDict()) } catch {
            throw RunnerError("\(url.path) does not fit this config: \(error)")
        }
        guard let meta = file.meta, let epoch = meta["epoch"]?.int, let iteration = meta["iter"]?.int,
              let seed = meta["seed"]?.int, let hash = meta["config_hash"]?.string else {
            throw RunnerError("\(url.path) has no SkelZoo meta (epoch, iter, seed, config_hash)", hint: "use --load-from to start from its weights instead")
        }
        if let optimizerState = file.root.dictionary?["optimizer"]?.dictionary, let state = optimizerState["state"]?.dictionary {
            var buffers: [Tensor] = []
            let paths = model.parameterPaths
            for (index, path) in paths.enumerated() {
                guard let entry = state.entries.first(where: { $0.key.int == index })?.value.dictionary,
                      case .tensor(let reference)? = entry["momentum_buffer"] else { break }
                let stored: StoredTensor
                do { stored = try file.tensor(reference) } catch { throw RunnerError("\(url.path): momentum buffer \(index): \(error)") }
                let shape = model.parameters[keyPath: path].shape
                guard stored.count == shape.reduce(1, *) else { throw RunnerError("\(url.path): momentum buffer \(index) has \(stored.count) values, expected \(shape.reduce(1, *))") }
                buffers.append(Tensor(shape: shape, storage: stored.floats))
            }
            optimizer.buffers = buffers.count == paths.count ? buffers : nil
        }
        return TrainingPosition(epoch: epoch, iteration: iteration, seed: UInt64(truncatingIfNeeded: seed), configHash: hash,
                                arithmetic: meta["skelzoo_arithmetic"]?.string)
    }

    /// `weights_sha256`: SHA-256 over the state_dict in PyTorch's order; for each entry its name in UTF-8, one zero
    /// byte, then its values' raw little-endian bytes (float32, or int64 for `num_batches_tracked`).
    public static func weightsSHA256(_ model: STGCN) -> String {
        var hasher = SHA256()
        for (name, _, value) in model.stateDict() {
            hasher.update(data: Array(name.utf8) + [0])
            switch value {
            case .floats(let values): hasher.update(data: NumericEncoding.littleEndian(values))
            case .int64(let count): withUnsafeBytes(of: count.littleEndian) { hasher.update(bufferPointer: $0) }
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
