// N samples per batch, C channels, T frames, V joints, M persons.
//
// Seeded, deterministic training as MMAction2's `tools/train.py CONFIG --seed S --deterministic --validate` runs
// it: SGD by iteration, lr stepped by epoch, RepeatDataset, validation and checkpoints at the config's intervals.
// Every random draw comes from CounterRNG keyed by (seed, stream, index); every reduction has a fixed order; a
// checkpoint holds everything the next iteration needs. So the weights, every logged loss and every score are
// the same bits for any thread count, and for a run killed at any point and resumed from latest.pth.
// With `gpus` > 1 each step is MMAction2's N-GPU DDP step, emulated in this process (``DataParallel``, batches laid out by
// ``DistributedSampler``); with 1 it is the single-process step, bit for bit.
// The runner writes its work dir and returns values; it never touches the registry.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ZooConfig
import ZooIO
import ZooPose
import ZooSTGCN
import ZooTensor
import ZooTorch

public struct TrainingSetup: Sendable {
    public var config: ExperimentConfig
    /// sha256 of the config text; checked on resume.
    public var configHash: String
    public var configName: String
    public var seed: UInt64
    public var threads: Int
    public var workDirectory: URL
    public var resume: Bool
    public var loadFrom: URL?
    public var validate: Bool
    /// Clear the work dir (under its lock) before starting, as `reproduce` does for a fresh retrain.
    public var startFresh: Bool
    /// Where the train and val samples came from, for error messages.
    public var trainSource: String
    public var valSource: String
    /// Emulated GPUs (DDP world size, see ``DataParallel``); 1 is a single process.
    public var gpus: Int
    /// Samples per GPU per step; nil takes the config's `videos_per_gpu`.
    public var perGPUBatch: Int?
    /// Fingerprints of the data splits, written to result.json (see ``DatasetFingerprint``).
    public var data: [SplitFingerprint] = []
    /// The `time` a checkpoint's meta records (see ``CheckpointProvenance``); nil: when it is written, as mmcv does. A fixed
    /// date makes the checkpoints' bytes a function of the run alone (tests compare them across thread counts and resumes).
    public var checkpointTime: Date?
    /// When set (by a signal, see ``StopSignals``), the run writes latest.pth at the next iteration boundary and stops
    /// with ``RunnerError/Code/stopped``; resumed, it gives the bits of an uninterrupted run.
    public var stopRequest: StopRequest?

    public init(config: ExperimentConfig, configHash: String, configName: String, seed: UInt64, threads: Int,
                workDirectory: URL, resume: Bool = false, loadFrom: URL? = nil, validate: Bool = true, startFresh: Bool = false,
                trainSource: String = "training annotations", valSource: String = "validation annotations",
                gpus: Int = 1, perGPUBatch: Int? = nil) {
        self.gpus = gpus
        self.perGPUBatch = perGPUBatch
        self.config = config
        self.configHash = configHash
        self.configName = configName
        self.seed = seed
        self.threads = threads
        self.workDirectory = workDirectory
        self.resume = resume
        self.loadFrom = loadFrom
        self.validate = validate
        self.startFresh = startFresh
        self.trainSource = trainSource
        self.valSource = valSource
    }
}

/// One epoch's summary.
public struct EpochSummary: Sendable, Codable, Equatable {
    public var epoch: Int
    public var learningRate: Double
    /// Mean training loss over the epoch's iterations.
    public var loss: Double
    /// Training-batch top-1, averaged over iterations (MMAction2 logs it per batch).
    public var trainTop1: Double
    /// Validation metrics when validation ran this epoch.
    public var validation: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case epoch, learningRate = "lr", loss, trainTop1 = "train_top1_acc", validation
    }
}

public struct TrainingResult: Sendable, Codable {
    public var seed: UInt64
    public var epochs: Int
    public var iterations: Int
    public var metrics: [String: Double]
    public var weightsSHA256: String
    public var configHash: String
    public var history: [EpochSummary]
    public var threads: Int
    public var machine: MachineInfo
    public var wallSeconds: Double
    /// Emulated GPUs and samples per GPU per step (the total batch is their product).
    public var gpus: Int
    public var perGPUBatch: Int
    /// The data splits the run read.
    public var data: [SplitFingerprint]

    enum CodingKeys: String, CodingKey {
        case seed, epochs, iterations, metrics, history, threads, machine, gpus, data
        case weightsSHA256 = "weights_sha256", configHash = "config_hash", wallSeconds = "wall_seconds", perGPUBatch = "per_gpu_batch"
    }
}

/// What the trainer reports while it runs.
public enum TrainingEvent: Sendable {
    case resumed(epoch: Int, iteration: Int)
    case iteration(epoch: Int, iteration: Int, ofEpoch: Int, epochLength: Int, loss: Double, learningRate: Double)
    case epochFinished(EpochSummary)
    case checkpointWritten(URL)
}

public final class Trainer {
    let setup: TrainingSetup
    let train: [PoseSample]
    let val: [PoseSample]
    let pipeline: PosePipeline
    let valPipeline: PosePipeline
    let loss: Loss

    public static let logName = "log.jsonl"

    public init(_ setup: TrainingSetup, train: [PoseSample], val: [PoseSample]) throws {
        self.setup = setup
        self.train = train
        self.val = val
        pipeline = PosePipeline(setup.config.trainPipeline)
        valPipeline = PosePipeline(setup.config.valPipeline)
        loss = Loss(setup.config.model.loss)
        guard !train.isEmpty else { throw RunnerError("\(setup.trainSource): the training annotations hold no samples") }
        guard setup.gpus >= 1 else { throw RunnerError("--gpus must be at least 1, got \(setup.gpus)") }
        if let perGPU = setup.perGPUBatch, perGPU < 1 { throw RunnerError("the per-GPU batch must be at least 1, got \(perGPU)") }
        // Loss.forward indexes the logits by label; check here, before any work, naming the file and the sample.
        let classes = setup.config.model.numClasses
        for (samples, source) in [(train, setup.trainSource), (val, setup.valSource)] {
            if let index = samples.firstIndex(where: { $0.label >= classes }) {
                throw RunnerError("\(source): sample \(index) ('\(samples[index].frameDirectory)') has label \(samples[index].label), the model has \(classes) classes (labels 0..<\(classes))",
                                  hint: "use the config whose num_classes matches the data")
            }
        }
    }

    var latest: URL { setup.workDirectory.appending(path: "latest.pth") }
    var logURL: URL { setup.workDirectory.appending(path: Self.logName) }

    /// Trains to the config's last epoch (or resumes there) and writes `result.json`.
    public func run(events: (TrainingEvent) -> Void = { _ in }) throws -> TrainingResult {
        let started = Date()
        let config = setup.config
        let threads = setup.threads
        OpenBLAS.setThreads(1)

        let gpus = setup.gpus
        let batchSize = setup.perGPUBatch ?? config.data.videosPerGPU
        var model = STGCN(STGCNConfiguration(config.model))
        var optimizer = SGD(momentum: Float(config.optimizer.momentum), weightDecay: Float(config.optimizer.weightDecay),
                            nesterov: config.optimizer.nesterov)
        var position = TrainingPosition(epoch: 0, iteration: 0, seed: setup.seed, configHash: setup.configHash)
        var history: [EpochSummary] = []
        var parallel: DataParallel

        // A fresh start's weights (and a --load-from file) are ready before the work dir is touched, so a bad
        // --load-from leaves nothing behind.
        let resuming = setup.resume && !setup.startFresh && FileManager.default.fileExists(atPath: latest.path)
        if !resuming {
            model.initialize(rng: CounterRNG(seed: setup.seed, stream: Streams.initialization), headStd: config.model.initStd)
            if let loadFrom = setup.loadFrom { try ModelLoader.load(loadFrom, into: &model, role: "--load-from checkpoint") }  // MMCV load_from: weights only
        }
        let workDirectory = try WorkDirectory(setup.workDirectory)
        defer { workDirectory.release() }
        if setup.startFresh { try workDirectory.clear() }

        let hasLatest = FileManager.default.fileExists(atPath: latest.path)
        if resuming {
            guard hasLatest else { throw RunnerError("\(latest.path) disappeared while this run started", hint: "run again without --resume") }
            let restored = try CheckpointIO.restoreRun(from: latest, into: &model, optimizer: &optimizer)
            position = restored.position
            guard position.configHash == setup.configHash else {
                throw RunnerError("\(latest.path) was written with another config (hash \(position.configHash.prefix(12)), now \(setup.configHash.prefix(12)))",
                                  hint: "resume with the config it was trained with, or use a new --work-dir")
            }
            if let arithmetic = position.arithmetic, arithmetic != Arithmetic.label {
                throw RunnerError("\(latest.path) was trained with the \(arithmetic) arithmetic, this process uses \(Arithmetic.label); resuming would mix the two",
                                  hint: arithmetic.hasPrefix("openblas") ? "resume with --backend openblas on the same machine" : "resume with --backend portable (any --isa)")
            }
            guard position.seed == setup.seed else {
                throw RunnerError("\(latest.path) was trained with seed \(position.seed), not \(setup.seed)", hint: "pass --seed \(position.seed)")
            }
            let (writtenGPUs, writtenBatch) = (restored.gpus, restored.perGPUBatch ?? config.data.videosPerGPU)
            guard writtenGPUs == gpus && writtenBatch == batchSize else {
                throw RunnerError("\(latest.path) was trained on \(writtenGPUs) GPU(s) x \(writtenBatch) samples, this run asks for \(gpus) x \(batchSize)",
                                  hint: "resume with --gpus \(writtenGPUs)\(writtenBatch != config.data.videosPerGPU ? " --total-batch \(writtenGPUs * writtenBatch)" : ""), or use a new --work-dir")
            }
            parallel = DataParallel(ranks: gpus, otherRankBuffers: restored.otherRankBuffers)
            history = try truncateLog(toEpoch: position.epoch, iteration: position.iteration)
            events(.resumed(epoch: position.epoch, iteration: position.iteration))
        } else {
            if hasLatest {
                throw RunnerError("\(setup.workDirectory.path) already holds a checkpoint (latest.pth)",
                                  hint: "pass --resume to continue it, or choose another --work-dir")
            }
            try removeIfPresent(logURL)
            // Every rank starts from the same weights and BN buffers (each loads the same checkpoint or seed).
            parallel = DataParallel(ranks: gpus, model: model)
        }

        let epochLength = train.count * config.data.train.repeatTimes
        let iterationsPerEpoch = DistributedSampler.iterations(epochLength: epochLength, ranks: gpus, batchSize: batchSize)
        // Written to checkpoints only when it differs from a single process with the config's batch, so those stay as they were.
        let recordsLayout = gpus != 1 || batchSize != config.data.videosPerGPU
        var log = try LogWriter(url: logURL)
        let workspace = TrainingWorkspace()  // every step's training buffers, mapped once for the run

        while position.epoch < config.totalEpochs {
            let epoch = position.epoch  // 0-based
            let lr = config.lrSchedule.learningRate(base: config.optimizer.lr, epoch: epoch)
            let order = CounterRNG(seed: setup.seed, stream: Streams.shuffle).substream(UInt64(epoch)).permutation(epochLength)
            let sampler = DistributedSampler(order: order, ranks: gpus, batchSize: batchSize)
            var lossSum = 0.0, top1Sum = 0.0
            // A checkpoint written mid-epoch resumes at its step, with the epoch's running sums.
            let firstStep = position.stepInEpoch
            if firstStep > 0 {
                guard firstStep < iterationsPerEpoch else {
                    throw RunnerError("\(latest.path) stopped at step \(firstStep) of epoch \(epoch + 1), which has \(iterationsPerEpoch) steps with this data",
                                      hint: "resume with the data it was trained on, or use a new --work-dir")
                }
                (lossSum, top1Sum) = (position.epochLossSum, position.epochTop1Sum)
                (position.stepInEpoch, position.epochLossSum, position.epochTop1Sum) = (0, 0, 0)
            }
            for step in firstStep..<iterationsPerEpoch {
                var batches: [(input: Tensor, labels: [Int])] = []
                for rank in 0..<gpus {
                    let indices = sampler.batch(rank: rank, step: step).map { $0 % train.count }
                    batches.append((PosePipeline.collate(indices.map { pipeline.apply(train[$0]) }), indices.map { train[$0].label }))
                }
                // MMAction2 seeds every rank alike (no --diff-seed), so every rank draws the same dropout stream.
                let dropout = CounterRNG(seed: setup.seed, stream: Streams.dropout).substream(UInt64(position.iteration))
                let result = parallel.forwardBackward(&model, batches: batches, loss: loss, dropout: { _ in dropout }, threads: threads,
                                                     workspace: workspace)
                for (rank, rankLoss) in result.losses.enumerated() where !rankLoss.isFinite {
                    let kept = position.epoch > 0 ? "\(latest.path) holds the last good epoch (\(position.epoch))"
                        : "no checkpoint was written (the first is written after epoch 1)"
                    throw RunnerError("loss is \(rankLoss) at iteration \(position.iteration + 1) (epoch \(epoch + 1), step \(step + 1)\(gpus > 1 ? ", GPU \(rank)" : "")); training stopped",
                                      hint: "lower the learning rate (now \(config.optimizer.lr)) or check the data; \(kept)")
                }
                optimizer.step(&model, result.gradients, lr: Float(lr))
                position.iteration += 1
                // Logged as MMCV logs a DDP run: each rank's value all-reduced to the mean over the ranks.
                let lossValue = DataParallel.mean(result.losses.map { Double($0) })
                let top1 = DataParallel.mean((0..<gpus).map { Metrics.topKAccuracy(scores: rows(result.logits[$0]), labels: batches[$0].labels, k: 1) })
                lossSum += lossValue
                top1Sum += top1
                var line: [String: Any] = ["mode": "train", "epoch": epoch + 1, "iter": position.iteration, "lr": lr,
                                           "loss": lossValue, "top1_acc": top1, "time": Date().timeIntervalSince(started)]
                if gpus > 1 { line["rank_loss"] = result.losses.map { Double($0) } }
                try log.append(line)
                events(.iteration(epoch: epoch + 1, iteration: step + 1, ofEpoch: iterationsPerEpoch, epochLength: epochLength,
                                  loss: lossValue, learningRate: lr))
                if setup.stopRequest?.isRequested == true && step + 1 < iterationsPerEpoch {
                    var stopped = position
                    (stopped.stepInEpoch, stopped.epochLossSum, stopped.epochTop1Sum) = (step + 1, lossSum, top1Sum)
                    try log.flush()
                    try AtomicFile.write(Data(CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: config.optimizer, learningRate: lr,
                                                                  position: stopped, configName: setup.configName,
                                                                  dataParallel: recordsLayout ? (parallel, batchSize) : nil)), to: latest)
                    events(.checkpointWritten(latest))
                    throw stoppedError(iteration: position.iteration, epoch: epoch + 1, step: step + 1, of: iterationsPerEpoch)
                }
            }
            position.epoch += 1
            var summary = EpochSummary(epoch: position.epoch, learningRate: lr, loss: lossSum / Double(iterationsPerEpoch),
                                       trainTop1: top1Sum / Double(iterationsPerEpoch), validation: nil)
            if setup.validate && !val.isEmpty && (position.epoch % config.evaluation.interval == 0 || position.epoch == config.totalEpochs) {
                var evalModel = model
                let evaluation = try Evaluator.evaluate(&evalModel, samples: val, pipeline: valPipeline, metrics: config.evaluation.metrics,
                                                        topk: config.evaluation.topk, batchSize: batchSize, threads: threads, source: "validation")
                summary.validation = Dictionary(uniqueKeysWithValues: evaluation.metrics)
                // MMCV's DistEvalHook broadcasts rank 0's BN statistics to every rank before it evaluates (rank 0's model is
                // what the metrics above used).
                parallel.broadcastBatchNormStatistics(from: model)
                var line: [String: Any] = ["mode": "val", "epoch": position.epoch, "iter": position.iteration]
                for (name, value) in evaluation.metrics { line[name] = value }
                try log.append(line)
            }
            try log.append(["mode": "epoch", "epoch": position.epoch, "iter": position.iteration, "lr": lr, "loss": summary.loss,
                            "top1_acc": summary.trainTop1])
            try log.flush()
            history.append(summary)
            // latest.pth every epoch (the resume point); epoch_N.pth at the config's interval and at the end.
            let bytes = Data(CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: config.optimizer, learningRate: lr,
                                                 position: position, configName: setup.configName,
                                                 dataParallel: recordsLayout ? (parallel, batchSize) : nil,
                                                 provenance: .current(config: config, configName: setup.configName,
                                                                      date: setup.checkpointTime ?? Date())))
            if position.epoch % config.checkpointInterval == 0 || position.epoch == config.totalEpochs {
                let file = setup.workDirectory.appending(path: "epoch_\(position.epoch).pth")
                try AtomicFile.write(bytes, to: file)
                events(.checkpointWritten(file))
            }
            try AtomicFile.write(bytes, to: latest)
            events(.epochFinished(summary))
            if setup.stopRequest?.isRequested == true && position.epoch < config.totalEpochs {
                throw stoppedError(iteration: position.iteration, epoch: position.epoch, step: iterationsPerEpoch, of: iterationsPerEpoch)
            }
        }

        let metrics = history.last(where: { $0.validation != nil })?.validation ?? [:]
        let result = TrainingResult(seed: setup.seed, epochs: position.epoch, iterations: position.iteration, metrics: metrics,
                                    weightsSHA256: CheckpointIO.weightsSHA256(model), configHash: setup.configHash, history: history,
                                    threads: threads, machine: .current, wallSeconds: Date().timeIntervalSince(started),
                                    gpus: gpus, perGPUBatch: batchSize, data: setup.data)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(result), to: setup.workDirectory.appending(path: "result.json"))
        return result
    }

    /// Removes a file; a file that is not there is fine, any other failure is an error naming it.
    func removeIfPresent(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw RunnerError("cannot remove \(url.path): \((error as NSError).localizedDescription)")
        }
    }

    func rows(_ logits: Tensor) -> [[Float]] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { Array(logits.storage[$0 * classes..<($0 + 1) * classes]) }
    }

    func stoppedError(iteration: Int, epoch: Int, step: Int, of steps: Int) -> RunnerError {
        RunnerError("stopped on request after iteration \(iteration) (epoch \(epoch), step \(step) of \(steps)); \(latest.path) holds the run",
                    hint: "run it again with resume to continue with the same bits", code: .stopped)
    }

    /// Drops log lines past the resumed position (they will be written again, bit for bit) and returns the epoch
    /// summaries kept: every line of the completed `epoch`s, and the training lines of the epoch in progress up to
    /// `iteration` (a mid-epoch checkpoint).
    func truncateLog(toEpoch epoch: Int, iteration: Int) throws -> [EpochSummary] {
        guard FileManager.default.fileExists(atPath: logURL.path) else { return [] }
        let text: String
        do { text = try String(contentsOf: logURL, encoding: .utf8) } catch {
            throw RunnerError("cannot read the log \(logURL.path) to resume: \((error as NSError).localizedDescription)",
                              hint: "move it away to resume without the earlier epochs' log lines")
        }
        var kept: [String] = []
        var history: [EpochSummary] = []
        var validation: [Int: [String: Double]] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let lineEpoch = object["epoch"] as? Int else { continue }
            let inProgress = lineEpoch == epoch + 1 && object["mode"] as? String == "train" && (object["iter"] as? Int ?? Int.max) <= iteration
            guard lineEpoch <= epoch || inProgress else { continue }
            kept.append(String(line))
            if object["mode"] as? String == "val" {
                validation[lineEpoch] = object.compactMapValues { $0 as? Double }.filter { !["epoch", "iter"].contains($0.key) }
            }
            if object["mode"] as? String == "epoch" {
                history.append(EpochSummary(epoch: lineEpoch, learningRate: object["lr"] as? Double ?? 0, loss: object["loss"] as? Double ?? 0,
                                            trainTop1: object["top1_acc"] as? Double ?? 0, validation: validation[lineEpoch]))
            }
        }
        try AtomicFile.write(Data((kept.map { $0 + "\n" }.joined()).utf8), to: logURL)
        return history
    }
}

/// The RNG streams of a run.
public enum Streams {
    public static let initialization: UInt64 = 1
    public static let shuffle: UInt64 = 2
    public static let dropout: UInt64 = 3
}

/// Appends JSON lines to the run log.
struct LogWriter {
    let handle: FileHandle

    init(url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError("cannot write the log \(url.path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.handle = handle
    }

    mutating func append(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try handle.write(contentsOf: data + Data("\n".utf8))
    }

    func flush() throws { try handle.synchronize() }
}
