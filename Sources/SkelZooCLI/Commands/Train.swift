import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooPose
import ZooRegistry
import ZooRunner

extension SkelZoo {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an entry from scratch with a seed, deterministically (as MMAction2's tools/train.py --seed S --deterministic --validate).",
            discussion: """
            The same seed gives the same bits: final weights, every logged loss and every score, with any --threads,
            and when killed and rerun with --resume. The work dir holds latest.pth (every epoch), epoch_N.pth (at the
            config's checkpoint interval), log.jsonl (one JSON line per iteration, validation and epoch) and
            result.json (final metrics and weights_sha256). A run locks its work dir: a second process is refused. With a
            zoo entry the run is recorded in the registry.

            weights_sha256 is SHA-256 over the state_dict in PyTorch's order: for each entry its name in UTF-8, a zero
            byte, then its values' little-endian bytes (float32; int64 for num_batches_tracked).

            --gpus N emulates MMAction2's N-GPU data-parallel training (DDP, broadcast_buffers=False, no SyncBN) on the
            CPU: each step takes N per-GPU batches as DistributedSampler lays them out, each with its own BN statistics and
            mean loss; the gradients are averaged (summed in rank order, then divided by N) for one SGD step; checkpoints
            hold GPU 0's BN statistics as MMAction2's do, and keep the other GPUs' in their meta for --resume. A zoo entry
            defaults to its published GPU count (see `skelzoo show ENTRY`), a config file to 1. --gpus 1 is the
            single-process run.

            Examples:
              skelzoo train demo_stgcn_coco2d_ce --seed 0
              skelzoo train demo_stgcn_coco2d_ce --seed 0 --gpus 2
              skelzoo train demo_stgcn_coco2d_ce --seed 0 --work-dir runs/a --resume --threads 2
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A zoo entry name or a config YAML file.")
        var model: String

        @Option(help: "Random seed (initialisation, shuffling, dropout).")
        var seed: Int

        @Option(help: "Work dir (default: work_dirs/<entry>/seed<N>).")
        var workDir: String?

        @Flag(help: "Continue from the work dir's latest.pth.")
        var resume = false

        @Option(help: "Start from these weights (a .pth state_dict), like MMCV's load_from.")
        var loadFrom: String?

        @Flag(name: .customLong("validate"), inversion: .prefixedNo, help: "Validate at the config's evaluation interval.")
        var runValidation = true

        @Option(help: "Worker threads (results do not depend on it).")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Folder the config's ann_file paths are relative to (default: the SkelZoo home).")
        var dataRoot: String?

        @Option(help: "Emulated GPUs (data parallel, as MMAction2's DDP; default: the entry's published count, else 1).")
        var gpus: Int?

        @Option(help: "Total batch over all GPUs (default: GPUs x the config's videos_per_gpu); must be divisible by --gpus.")
        var totalBatch: Int?

        @Flag(help: "Print result.json to stdout.")
        var json = false

        func validate() throws {
            guard seed >= 0 else { throw ValidationError("--seed must be >= 0") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            try GPUOptions.validate(gpus: gpus, totalBatch: totalBatch)
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let resolved = try ModelArgument.resolve(model, global: global)
                let name = resolved.entry?.name ?? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
                let work = URL(fileURLWithPath: workDir ?? "work_dirs/\(name)/seed\(seed)")
                // The GPU layout is settled before any data is read, so a --total-batch the recipe cannot split fails first.
                let recipe = resolved.entry.map { PublishedRecipe.resolve(entry: $0, config: resolved.config) }
                let layout = try GPUOptions.layout(gpus: gpus, totalBatch: totalBatch, recipe: recipe, config: resolved.config)
                let data = DataResolver(root: dataRoot.map { URL(fileURLWithPath: $0) } ?? global.homeURL)
                let files = try data.annotationFiles(for: resolved.config, entryName: resolved.entry?.name)
                let train = try AnnotationFile.load(files.train).samples
                let val = try AnnotationFile.load(files.val).samples
                let splits = try DatasetFingerprint.trainingSplits(config: resolved.config, resolver: data, files: files, train: train, val: val)
                var setup = TrainingSetup(config: resolved.config, configHash: resolved.configHash, configName: name, seed: UInt64(seed),
                                          threads: threads, workDirectory: work, resume: resume,
                                          loadFrom: loadFrom.map { URL(fileURLWithPath: $0) }, validate: runValidation,
                                          trainSource: files.train.path, valSource: files.val.path,
                                          gpus: layout.gpus, perGPUBatch: layout.perGPUBatch)
                setup.data = splits
                let recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: "train", seed: seed,
                                               threads: threads, configHash: resolved.configHash, workDir: work.path)
                let result: TrainingResult
                do {
                    result = try TrainingRunner.run(setup, train: train, val: val)
                } catch {
                    recorder.fail(error)
                    throw error
                }
                try recorder.succeed(scores: result.metrics, weightsSHA256: result.weightsSHA256, history: result.history, wallSeconds: result.wallSeconds,
                                     gpus: result.gpus, perGPUBatch: result.perGPUBatch, splits: result.data)
                // After the run, so that a run that cannot start says why first.
                for warning in DatasetFingerprint.warnings(splits) { Console.info("warning: \(warning)") }
                if json {
                    try Console.output(String(decoding: try Data(contentsOf: work.appending(path: "result.json")), as: UTF8.self))
                } else {
                    let metrics = result.metrics.sorted { $0.key < $1.key }.map { "\($0.key): \(String(format: "%.4f", $0.value))" }
                    try Console.output((metrics + ["weights_sha256: \(result.weightsSHA256)", "work dir: \(work.path)"]).joined(separator: "\n"))
                }
            }
        }
    }
}

/// Runs a trainer with progress on stderr.
enum TrainingRunner {
    static func run(_ setup: TrainingSetup, train: [PoseSample], val: [PoseSample]) throws -> TrainingResult {
        let trainer = try Trainer(setup, train: train, val: val)
        let total = setup.config.totalEpochs
        let progress = ProgressLine("training", plainEvery: 15)
        var done = 0
        let perEpoch = DistributedSampler.iterations(epochLength: train.count * setup.config.data.train.repeatTimes, ranks: setup.gpus,
                                                     batchSize: setup.perGPUBatch ?? setup.config.data.videosPerGPU)
        if setup.gpus > 1 || setup.perGPUBatch != nil {
            let perGPU = setup.perGPUBatch ?? setup.config.data.videosPerGPU
            Console.info("data parallel: \(setup.gpus) emulated GPU(s) x \(perGPU) samples = total batch \(setup.gpus * perGPU)")
        }
        return try trainer.run { event in
            switch event {
            case .resumed(let epoch, let iteration):
                Console.info("resuming \(setup.workDirectory.path) after epoch \(epoch) (iteration \(iteration))")
                done = iteration
            case .iteration:
                done += 1
                progress.update(done, total * perEpoch, unit: "iterations")
            case .epochFinished(let summary):
                let validation = summary.validation.map { " " + $0.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ") } ?? ""
                Console.info("epoch \(summary.epoch)/\(total): loss \(String(format: "%.4f", summary.loss)) lr \(summary.learningRate)\(validation)")
            case .checkpointWritten:
                break
            }
        }
    }
}

/// `--gpus` and `--total-batch`: checked, then resolved against the entry's published recipe.
enum GPUOptions {
    static func validate(gpus: Int?, totalBatch: Int?) throws {
        if let gpus, gpus < 1 { throw ValidationError("--gpus must be at least 1 (got \(gpus))") }
        if let gpus, gpus > CheckpointIO.maxGPUs { throw ValidationError("--gpus must be at most \(CheckpointIO.maxGPUs) (got \(gpus))") }
        if let totalBatch, totalBatch < 1 { throw ValidationError("--total-batch must be at least 1 (got \(totalBatch))") }
        if let gpus, let totalBatch, totalBatch % gpus != 0 {
            throw ValidationError("--total-batch \(totalBatch) is not divisible by --gpus \(gpus): every GPU takes the same batch")
        }
    }

    /// The GPUs (given, else the recipe's, else 1) and the per-GPU batch (nil: the config's videos_per_gpu).
    static func layout(gpus: Int?, totalBatch: Int?, recipe: PublishedRecipe?, config: ExperimentConfig) throws -> (gpus: Int, perGPUBatch: Int?) {
        let count = gpus ?? recipe?.defaultGPUs ?? 1
        guard let totalBatch else { return (count, nil) }
        guard totalBatch % count == 0 else {
            throw CLIError("--total-batch \(totalBatch) is not divisible by \(count) GPU(s)\(gpus == nil ? " (the published recipe's count)" : "")",
                           hint: "pass a multiple of \(count), or --gpus with a count that divides \(totalBatch)")
        }
        let perGPU = totalBatch / count
        return (count, perGPU == config.data.videosPerGPU ? nil : perGPU)
    }
}

/// Records a run in the registry when it belongs to a zoo entry; a crash leaves it marked running or failed.
struct RunRecorder {
    let registry: Registry?
    var run: Run?

    init(context: ZooContext?, entry: ZooEntry?, mode: String, seed: Int?, threads: Int, configHash: String, workDir: String?) throws {
        guard let context, let entry else {
            registry = nil
            return
        }
        registry = context.registry
        var record = Run(entryName: entry.name, mode: mode, seed: seed)
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

    /// Marks the run failed; when even that cannot be recorded, says so on stderr (the run's own error is what the caller reports).
    func fail(_ error: any Error) {
        guard var run, let registry else { return }
        // The registry itself failed: it has already marked the run failed where it could, and said so.
        if let error = error as? RegistryError, error.code == .diskFull || error.code == .fileReplaced { return }
        run.status = .failed
        run.message = Console.describe(error)
        run.finishedAt = Date()
        do {
            try registry.finishRun(run, scores: [:])
        } catch {
            Console.printError("run #\(run.id ?? 0) could not be marked failed in the registry: \(error)")
        }
    }

    func succeed(scores: [String: Double], weightsSHA256: String? = nil, checkpointSHA256: String? = nil,
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
}

/// `git describe` of the source tree when available, else the release version.
enum CodeVersion {
    static var current: String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path, "describe", "--always", "--dirty", "--tags"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil {
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 0 && !text.isEmpty { return text }
        }
        return SkelZoo.configuration.version
    }
}
