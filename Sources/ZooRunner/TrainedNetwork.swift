// N samples per GPU batch, C channels, T frames, V joints, M persons.
//
// The network side of one training run: what ``Trainer``'s loop (written once) asks of the MMAction2 0.x ST-GCN
// (`SkeletonGCN`, 0.x pipeline, emulated DDP ranks) and of a 1.x `RecognizerGCN` (ST-GCN 1.x, ST-GCN++; 1.x
// pipeline, one process). Each conformer holds its model, its pipelines and its config; nothing here loops.
import Foundation
import ZooConfig
import ZooPose
import ZooSTGCN
import ZooTensor

protocol TrainedNetwork {
    associatedtype Gradients
    /// The model input for `samples` (each with its index in the epoch's repeated dataset) in `epoch` (0-based).
    func input(_ samples: [(sample: PoseSample, index: Int)], epoch: Int, seed: UInt64) throws -> Tensor
    /// Every rank's train-mode forward, loss and backward; the gradients averaged over the ranks.
    mutating func forwardBackward(_ batches: [(input: Tensor, labels: [Int])], loss: Loss, dropout: CounterRNG, threads: Int) throws
        -> (losses: [Float], logits: [Tensor], gradients: Gradients)
    mutating func step(_ optimizer: inout SGD, _ gradients: Gradients, lr: Float)
    /// Validation with the config's val pipeline; the metrics as the release logs them.
    mutating func validate(_ samples: [PoseSample], batchSize: Int, threads: Int) throws -> [(String, Double)]
    /// A runner checkpoint; `layout` is the GPUs and per-GPU batch to record (nil: a single process with the config's batch).
    func checkpoint(optimizer: SGD, learningRate: Double, position: TrainingPosition, configName: String, layout: (gpus: Int, batch: Int)?,
                    provenanceDate: Date?) -> [UInt8]
    /// Reads latest.pth back into the network and `optimizer`.
    mutating func restore(from url: URL, optimizer: inout SGD, gpus: Int) throws -> (position: TrainingPosition, gpus: Int, perGPUBatch: Int?)
    var weightsSHA256: String { get }
}

// MARK: - MMAction2 0.x

/// The 0.x ST-GCN with its emulated DDP ranks (``DataParallel``).
struct ZeroXNetwork: TrainedNetwork {
    var model: STGCN
    var parallel: DataParallel
    let config: ExperimentConfig
    let pipeline: PosePipeline
    let valPipeline: PosePipeline
    /// Every step's training buffers, mapped once for the run.
    let workspace = TrainingWorkspace()

    /// Seeded initialisation (or `--load-from` weights, MMCV's load_from: weights only) on `gpus` ranks.
    init(_ config: ExperimentConfig, seed: UInt64, loadFrom: URL?, gpus: Int) throws {
        self.config = config
        pipeline = PosePipeline(config.trainPipeline)
        valPipeline = PosePipeline(config.valPipeline)
        model = STGCN(STGCNConfiguration(config.model))
        model.initialize(rng: CounterRNG(seed: seed, stream: Streams.initialization), headStd: config.model.initStd)
        if let loadFrom { try ModelLoader.load(loadFrom, into: &model, role: "--load-from checkpoint") }
        // Every rank starts from the same weights and BN buffers (each loads the same checkpoint or seed).
        parallel = DataParallel(ranks: gpus, model: model)
    }

    func input(_ samples: [(sample: PoseSample, index: Int)], epoch: Int, seed: UInt64) throws -> Tensor {
        PosePipeline.collate(samples.map { pipeline.apply($0.sample) })
    }

    mutating func forwardBackward(_ batches: [(input: Tensor, labels: [Int])], loss: Loss, dropout: CounterRNG, threads: Int) throws
        -> (losses: [Float], logits: [Tensor], gradients: STGCN.Gradients) {
        // MMAction2 seeds every rank alike (no --diff-seed), so every rank draws the same dropout stream.
        let result = parallel.forwardBackward(&model, batches: batches, loss: loss, dropout: { _ in dropout }, threads: threads,
                                             workspace: workspace)
        return (result.losses, result.logits, result.gradients)
    }

    mutating func step(_ optimizer: inout SGD, _ gradients: STGCN.Gradients, lr: Float) {
        optimizer.step(&model, gradients, lr: lr)
    }

    mutating func validate(_ samples: [PoseSample], batchSize: Int, threads: Int) throws -> [(String, Double)] {
        var evalModel = model
        let evaluation = try Evaluator.evaluate(&evalModel, samples: samples, pipeline: valPipeline, metrics: config.evaluation.metrics,
                                                topk: config.evaluation.topk, batchSize: batchSize, threads: threads, source: "validation")
        // MMCV's DistEvalHook broadcasts rank 0's BN statistics to every rank before it evaluates (rank 0's model is
        // what the metrics above used).
        parallel.broadcastBatchNormStatistics(from: model)
        return evaluation.metrics
    }

    func checkpoint(optimizer: SGD, learningRate: Double, position: TrainingPosition, configName: String, layout: (gpus: Int, batch: Int)?,
                    provenanceDate: Date?) -> [UInt8] {
        CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: config.optimizer, learningRate: learningRate,
                            position: position, configName: configName, dataParallel: layout.map { (parallel, $0.batch) },
                            provenance: provenanceDate.map { .current(config: config, configName: configName, date: $0) })
    }

    mutating func restore(from url: URL, optimizer: inout SGD, gpus: Int) throws -> (position: TrainingPosition, gpus: Int, perGPUBatch: Int?) {
        let restored = try CheckpointIO.restoreRun(from: url, into: &model, optimizer: &optimizer)
        if restored.gpus == gpus { parallel = DataParallel(ranks: gpus, otherRankBuffers: restored.otherRankBuffers) }
        return (restored.position, restored.gpus, restored.perGPUBatch)
    }

    var weightsSHA256: String { CheckpointIO.weightsSHA256(model) }
}

// MARK: - MMAction2 1.x

/// A 1.x `RecognizerGCN` (ST-GCN 1.x, ST-GCN++, and AAGCN, whose backward exists too) trained in one process.
///
/// Not emulated: data parallelism over several GPUs (mmengine's DDP with `SyncBuffersHook`, which averages the BN buffers
/// over the ranks after every epoch); ``Trainer`` refuses `gpus` > 1 for 1.x configs.
struct OneXNetwork: TrainedNetwork {
    var model: RecognizerGCN
    let config: RecognizerGCNConfig
    let pipeline: ClipPipeline
    let valPipeline: ClipPipeline

    /// Seeded initialisation (MMAction2 1.x `init_weights()`), or `--load-from` weights (mmengine `load_from`: weights only).
    init(_ config: RecognizerGCNConfig, seed: UInt64, loadFrom: URL?) throws {
        self.config = config
        guard config.trainPipeline.numClips == 1 else {
            throw RunnerError("\(config.source): train_pipeline's UniformSampleFrames has num_clips \(config.trainPipeline.numClips); training supports 1")
        }
        pipeline = ClipPipeline(config.trainPipeline.steps)
        valPipeline = ClipPipeline(config.valPipeline.steps)
        if let loadFrom {
            model = try ModelLoader.recognizer(config, checkpoint: loadFrom, role: "--load-from checkpoint")
        } else {
            do {
                model = try RecognizerGCN(configuration: RecognizerGCN.Configuration(config))
                try model.initialize(rng: CounterRNG(seed: seed, stream: Streams.initialization))
            } catch {
                throw RunnerError("\(config.source): \(error)", hint: "SkelZoo implements the MMAction2 1.x zoo's configurations")
            }
        }
    }

    /// Each sample's clip through the train pipeline, its frame draws keyed by (seed, epoch, dataset index); (N, M, T, V, C).
    func input(_ samples: [(sample: PoseSample, index: Int)], epoch: Int, seed: UInt64) throws -> Tensor {
        let draws = CounterRNG(seed: seed, stream: Streams.frameSampling).substream(UInt64(epoch))
        var storage: [Float] = []
        var shape: [Int] = []
        for (sample, index) in samples {
            let clip = try pipeline.applyTraining(sample, file: config.train.annFile, draws: draws.substream(UInt64(index)))
            shape = clip.shape
            storage.append(contentsOf: clip.storage)
        }
        return Tensor(shape: [samples.count] + Array(shape.dropFirst()), storage: storage)
    }

    mutating func forwardBackward(_ batches: [(input: Tensor, labels: [Int])], loss: Loss, dropout: CounterRNG, threads: Int) throws
        -> (losses: [Float], logits: [Tensor], gradients: RecognizerGCN.Gradients) {
        precondition(batches.count == 1, "1.x training runs one process (Trainer refuses more GPUs)")
        let (logits, state) = try model.forwardTraining(batches[0].input, threads: threads)
        let (value, dLogits) = loss.forward(logits, labels: batches[0].labels)
        var gradients = model.zeroGradients()
        model.backward(dLogits, state, into: &gradients, threads: threads)
        return ([value], [logits], gradients)
    }

    mutating func step(_ optimizer: inout SGD, _ gradients: RecognizerGCN.Gradients, lr: Float) {
        optimizer.step(&model, gradients, lr: lr)
    }

    /// mmengine's `ValLoop` with the val pipeline (one clip) and AccMetric (`acc/top1`, `acc/top5`, `acc/mean1`).
    mutating func validate(_ samples: [PoseSample], batchSize: Int, threads: Int) throws -> [(String, Double)] {
        try ClipEvaluator.evaluate(model, samples: samples, pipeline: valPipeline, metrics: config.evaluator.metrics, topk: config.evaluator.topk,
                                   batchSize: config.val.batchSize, threads: threads, source: "validation").metrics
    }

    /// The checkpoint holds `state_dict` (1.x names), `optimizer` and SkelZoo's `meta`; mmengine's `message_hub` and
    /// `param_schedulers` are not written (the schedule is a function of the config and the iteration).
    func checkpoint(optimizer: SGD, learningRate: Double, position: TrainingPosition, configName: String, layout: (gpus: Int, batch: Int)?,
                    provenanceDate: Date?) -> [UInt8] {
        CheckpointIO.encode(stateDict: model.stateDict(), parameterShapes: model.parameterShapes.map(\.torch), optimizer: optimizer,
                            hyperparameters: config.optimizer, learningRate: learningRate, position: position, configName: configName,
                            dataParallel: layout.map { ($0.gpus, $0.batch, []) })
    }

    mutating func restore(from url: URL, optimizer: inout SGD, gpus: Int) throws -> (position: TrainingPosition, gpus: Int, perGPUBatch: Int?) {
        var loaded = model
        let run = try CheckpointIO.restore(from: url, optimizer: &optimizer, parameterShapes: model.parameterShapes.map(\.stored),
                                           load: { try loaded.load(stateDict: $0) },
                                           loadBuffers: { _ in throw RunnerError("\(url.path): a 1.x checkpoint holds one process's BN buffers") })
        model = loaded
        return (run.position, run.gpus, run.perGPUBatch)
    }

    var weightsSHA256: String { CheckpointIO.weightsSHA256(stateDict: model.stateDict()) }
}
