import Foundation
import ZooConfig
import ZooIO
import ZooRegistry
import ZooRunner

/// Records a run in the registry when it belongs to a zoo entry; a crash leaves it marked running or failed.
public struct RunRecorder {
    public let registry: Registry?
    public var run: Run?
    let log: HarnessLog

    /// Starts a run row (status running) for `entry`; records nothing without a context and an entry (a config file).
    public init(context: ZooContext?, entry: ZooEntry?, mode: RunMode, seed: Int?, threads: Int, configHash: String, workDir: String?,
                log: HarnessLog) throws {
        self.log = log
        guard let context, let entry else {
            registry = nil
            return
        }
        registry = context.registry
        var record = Run(entryName: entry.name, mode: mode.rawValue, seed: seed)
        let machine = MachineInfo.current
        record.threads = threads
        record.cpu = machine.cpu
        record.arithmetic = machine.arithmetic
        record.kernel = machine.kernel
        record.configHash = configHash
        record.codeVersion = CodeVersion.current
        record.workDir = workDir
        run = try context.registry.startRun(record)
    }

    /// Records an entry that could not run here, with the reason and the command that would fix it.
    public static func recordSkip(_ registry: Registry, entry: String, mode: RunMode, batch: String, reason: String, fix: String?,
                                  configHash: String?, executor: String? = nil) throws {
        var run = Run(entryName: entry, mode: mode.rawValue, status: .skipped)
        run.batch = batch
        run.skipReason = reason
        run.fixCommand = fix
        run.configHash = configHash
        run.codeVersion = CodeVersion.current
        run.executor = executor
        run.finishedAt = Date()
        try registry.finishRun(try registry.startRun(run), scores: [:])
    }

    /// Marks the run failed; when even that cannot be recorded, says so in the log (the run's own error is what the caller reports).
    public func fail(_ error: any Error) {
        guard var run, let registry else { return }
        // The registry itself failed: it has already marked the run failed where it could, and said so.
        if let error = error as? RegistryError, error.code == .diskFull || error.code == .fileReplaced { return }
        run.status = .failed
        run.message = ErrorText.describe(error)
        run.finishedAt = Date()
        do {
            try registry.finishRun(run, scores: [:])
        } catch {
            log.error("run #\(run.id ?? 0) could not be marked failed in the registry: \(error)", nil)
        }
    }

    public func succeed(scores: [String: Double], weightsSHA256: String? = nil, checkpointSHA256: String? = nil,
                        history: [EpochSummary] = [], wallSeconds: Double, gpus: Int? = nil, perGPUBatch: Int? = nil,
                        splits: [SplitFingerprint] = []) throws {
        guard var run, let registry, let id = run.id else { return }
        run.gpus = gpus
        run.perGPUBatch = perGPUBatch
        run.status = .succeeded
        run.finishedAt = Date()
        run.wallSeconds = wallSeconds
        run.weightsSHA256 = weightsSHA256
        if let checkpointSHA256 { run.checkpointSHA256 = checkpointSHA256 }
        let metrics = Collector.epochMetrics(history, runId: id)
        let splitRecords = splits.map { RunSplit(split: $0.split, file: $0.file, fileSHA256: $0.fileSHA256, fingerprint: $0.fingerprint,
                                                 samples: $0.samples, classes: $0.classes) }
        try registry.finishRun(run, scores: scores, epochMetrics: metrics, splits: splitRecords)
    }

    /// Records a training result as this run's success.
    public func succeed(_ result: TrainingResult) throws {
        try succeed(scores: result.metrics, weightsSHA256: result.weightsSHA256, history: result.history, wallSeconds: result.wallSeconds,
                    gpus: result.gpus, perGPUBatch: result.perGPUBatch, splits: result.data)
    }
}
