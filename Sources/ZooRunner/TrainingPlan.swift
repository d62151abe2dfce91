// What the training loop reads of a config, for either release: MMAction2 0.x (`total_epochs`, `data.train` with
// RepeatDataset, `videos_per_gpu`, `optimizer`, `lr_config`, `evaluation`, `checkpoint_config`) and 1.x
// (`train_cfg`, `train_dataloader` with RepeatDataset and DefaultSampler, `optim_wrapper`, `param_scheduler`,
// `val_begin`/`val_interval`, `default_hooks.checkpoint`). The loop itself (``Trainer``) is written once.
import ZooConfig

public struct TrainingPlan: Sendable, Equatable {
    public var totalEpochs: Int
    /// `RepeatDataset(times)` around the training set (1 when not wrapped).
    public var repeatTimes: Int
    /// Samples per GPU per step (`videos_per_gpu`, `train_dataloader.batch_size`).
    public var batchSize: Int
    /// 0.x always shuffles (its `DistributedSampler`); 1.x follows `DefaultSampler(shuffle)`.
    public var shuffle: Bool
    public var numClasses: Int
    public var loss: LossConfig
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var checkpointInterval: Int
    /// Validation runs after epoch e (1-based) when e >= `validationBegin` and (e % `validationInterval` == 0 or e is the last).
    public var validationBegin: Int
    public var validationInterval: Int

    /// The plan of a 0.x config.
    public init(_ config: ExperimentConfig) {
        totalEpochs = config.totalEpochs
        repeatTimes = config.data.train.repeatTimes
        batchSize = config.data.videosPerGPU
        shuffle = true
        numClasses = config.model.numClasses
        loss = config.model.loss
        optimizer = config.optimizer
        schedule = .step(config.lrSchedule)
        checkpointInterval = config.checkpointInterval
        validationBegin = 1
        validationInterval = config.evaluation.interval
    }

    /// The plan of a 1.x config.
    /// - Throws: ``RunnerError`` for what the trainer does not implement: more than one `param_scheduler`, or
    ///   `auto_scale_lr.enable`.
    public init(_ config: RecognizerGCNConfig) throws {
        guard config.schedulers.count == 1, case .cosineAnnealing(let etaMin, let tMax, let byEpoch, let convert) = config.schedulers[0] else {
            throw RunnerError("\(config.source): param_scheduler holds \(config.schedulers.count) schedulers; training supports exactly one CosineAnnealingLR")
        }
        guard !config.autoScaleLR.enable else {
            throw RunnerError("\(config.source): auto_scale_lr.enable: true is not supported for training", hint: "set it to false (as every 1.x skeleton config does)")
        }
        totalEpochs = config.maxEpochs
        repeatTimes = config.train.repeatTimes
        batchSize = config.train.batchSize
        shuffle = config.train.shuffle
        numClasses = config.head.numClasses
        loss = config.head.loss
        optimizer = config.optimizer
        schedule = .cosine(etaMin: etaMin, tMax: tMax, byEpoch: byEpoch, convertToIterBased: convert)
        checkpointInterval = config.checkpointInterval
        validationBegin = config.valBegin
        validationInterval = config.valInterval
    }

    /// The plan of either release's config.
    public init(_ config: EntryConfig) throws {
        switch config {
        case .mmaction0x(let config): self.init(config)
        case .mmaction1x(let config): try self.init(config)
        }
    }

    /// Whether validation runs after 1-based `epoch`.
    public func validates(afterEpoch epoch: Int) -> Bool {
        epoch >= validationBegin && (epoch % validationInterval == 0 || epoch == totalEpochs)
    }
}
