import ArgumentParser
import Foundation
import ZooConfig
import ZooPose
import ZooRegistry
import ZooReport
import ZooRunner
import ZooSTGCN
import ZooHarness

extension SkelZoo {
    struct Reproduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rerun what can be rerun and record it: evaluate released checkpoints, retrain entries with seeds.",
            discussion: """
            --mode eval evaluates the cached checkpoint on the validation annotations; --mode train retrains with each
            seed (default: the zoo's reference seed, else 0) and evaluates; auto evaluates where the zoo gives a checkpoint
            and retrains otherwise. What cannot run here (no checkpoint, no data) is recorded as skipped with its reason and
            the command that would fix it. Retrains follow the entry's published recipe: --gpus defaults to its published
            GPU count (`skelzoo show ENTRY` prints the recipe), emulated as MMAction2's DDP on the CPU. Every run is recorded with its provenance; `skelzoo report` then writes the tables.
            The exit code is non-zero only when something that ran did not reproduce or crashed.

            Examples:
              skelzoo reproduce --zoo zoo/demo.yml
              skelzoo reproduce demo_stgcn_coco2d_ce --seeds 0,1,2
              skelzoo reproduce stgcn_80e_babel60 --mode eval --json
              skelzoo reproduce --zoo zoo/demo.yml --mode train --seeds 0,1 --executor slurm --shared-dir /shared/sz --wait

            With --executor slurm the runs become one Slurm job array (see `skelzoo collect --help` and README "On a Slurm
            cluster"): the plan, data, checkpoints and work dirs go into --shared-dir; the registry stays here.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Entries (default: those of the --zoo files, else the whole zoo).")
        var entries: [String] = []

        @Option(help: "eval, train or auto.")
        var mode: String = "auto"

        @Option(help: "Comma-separated seeds for retrains.")
        var seeds: String?

        @Option(help: "Folder the configs' ann_file paths are relative to (default: the SkelZoo home).")
        var dataRoot: String?

        @Option(help: "Worker threads.")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Samples per forward pass when evaluating a checkpoint (default: the config's test batch size).")
        var batchSize: Int?

        @Option(help: "Emulated GPUs for retrains (default: each entry's published GPU count, else 1).")
        var gpus: Int?

        @Flag(help: "Print a JSON summary.")
        var json = false

        @Option(help: "Where runs execute: local (here, one after another) or slurm (a job array; needs --shared-dir).")
        var executor: String = "local"

        @OptionGroup(title: "Slurm executor") var slurm: SlurmExecutorOptions

        func validate() throws {
            guard ["eval", "train", "auto"].contains(mode) else { throw ValidationError("--mode must be eval, train or auto") }
            if let seeds, parsedSeeds(seeds) == nil { throw ValidationError("--seeds must be comma-separated integers >= 0, e.g. 0,1,2") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            try GPUOptions.validate(gpus: gpus, totalBatch: nil)
            guard ["local", "slurm"].contains(executor) else { throw ValidationError("--executor must be local or slurm") }
            if executor == "slurm" {
                try slurm.validate(forSlurm: true)
            } else {
                try slurm.validate(forSlurm: false)
            }
        }

        func parsedSeeds(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            return values.map { $0! }
        }

        struct Outcome: Encodable {
            var entry: String
            var mode: String
            var status: String
            var verdict: String
            var reason: String?
            var fix: String?
            var metrics: [String: Double]?
            var weightsSHA256: [String]?
            /// Emulated GPUs of the retrains (nil for evaluations and skips).
            var gpus: Int?
            /// Whether the verdict is a success (nil: nothing judged).
            var passes: Bool?

            enum CodingKeys: String, CodingKey {
                case entry, mode, status, verdict, reason, fix, metrics, passes, gpus
                case weightsSHA256 = "weights_sha256"
            }
        }

        func run() throws {
            if executor == "slurm" { return try runOnSlurm() }
            var failedAny = false
            try Console.run {
                try global.applyArithmetic()
                let context = try ZooContext(global)
                let chosen = try chosenEntries(context)
                let batch = UUID().uuidString
                var outcomes: [Outcome] = []
                for (index, entry) in chosen.enumerated() {
                    Console.info("[\(index + 1)/\(chosen.count)] \(entry.name)")
                    let outcome = try reproduce(entry, context: context, batch: batch)
                    Console.info("[\(index + 1)/\(chosen.count)] \(entry.name): \(outcome.status)\(outcome.verdict == "-" ? "" : ", \(outcome.verdict)")\(outcome.reason.map { " (\($0))" } ?? "")")
                    outcomes.append(outcome)
                }
                let reproduced = outcomes.filter { $0.status == "ran" && $0.passes == true }.count
                let differs = outcomes.filter { $0.status == "ran" && $0.passes != true }.count
                let skipped = outcomes.filter { $0.status == "skipped" }.count
                let failed = outcomes.filter { $0.status == "failed" }.count
                failedAny = differs + failed > 0
                if json {
                    try Console.output(try Console.json(outcomes))
                } else {
                    for outcome in outcomes {
                        try Console.output("\(outcome.entry): \(outcome.status == "ran" ? outcome.verdict : outcome.status)\(outcome.reason.map { " — \($0)" } ?? "")")
                    }
                    try Console.output("summary: \(reproduced) reproduced, \(differs) differ, \(skipped) skipped, \(failed) failed")
                }
            }
            if failedAny { throw ExitCode(1) }
        }

        /// The entries named, else those of the --zoo files, else the whole zoo.
        func chosenEntries(_ context: ZooContext) throws -> [ZooEntry] {
            if !entries.isEmpty { return try entries.map { try context.entry(named: $0) } }
            if !global.zoo.isEmpty {
                let given = Set(context.sources.files.filter { $0.root != nil }.map(\.name))
                return context.files.filter { given.contains($0.name) }.flatMap(\.entries)
            }
            return context.files.flatMap(\.entries)
        }

        func reproduce(_ entry: ZooEntry, context: ZooContext, batch: String) throws -> Outcome {
            let resolvedMode = mode == "auto" ? (entry.weightsURL != nil || entry.fusion != nil ? "eval" : "train") : mode
            func recordSkip(_ reason: String, fix: String?, configHash: String?) throws -> Outcome {
                var run = Run(entryName: entry.name, mode: resolvedMode, status: .skipped)
                run.batch = batch
                run.skipReason = reason
                run.fixCommand = fix
                run.configHash = configHash
                run.codeVersion = CodeVersion.current
                run.finishedAt = Date()
                let started = try context.registry.startRun(run)
                try context.registry.finishRun(started, scores: [:])
                return Outcome(entry: entry.name, mode: resolvedMode, status: "skipped", verdict: "-", reason: reason, fix: fix)
            }
            if let fusion = entry.fusion {
                return try recordSkip("a fusion entry: it is computed from its \(fusion.components.count) streams' test results",
                                fix: "skelzoo fuse \(entry.name) \(fusion.components.map { "\($0.entry).json" }.joined(separator: " "))", configHash: nil)
            }
            let (text, origin) = try context.sources.configText(for: entry)
            let configHash = Hashing.sha256(Data(text.utf8))
            let data = DataResolver(root: dataRoot.map { URL(fileURLWithPath: $0) } ?? global.homeURL)
            func skip(_ reason: String, fix: String?) throws -> Outcome { try recordSkip(reason, fix: fix, configHash: configHash) }
            if try ConfigKind.of(text, file: origin) == .mmaction1x {
                return try reproduce1x(entry, config: RecognizerGCNConfig.parse(text, file: origin), mode: resolvedMode, configHash: configHash,
                                       context: context, data: data, batch: batch, skip: skip)
            }
            let config = try ExperimentConfig.parse(text, file: origin)

            if resolvedMode == "eval" {
                guard let url = entry.weightsURL, let fileName = entry.checkpointFileName else {
                    return try skip("the zoo gives no checkpoint for this entry", fix: "skelzoo reproduce \(entry.name) --mode train")
                }
                let checkpoint = context.home.appending(path: "checkpoints").appending(path: fileName)
                guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                    return try skip("checkpoint not in the cache (no network here)", fix: "skelzoo download \(entry.name)")
                }
                let annotation = data.url(config.data.val.annFile)
                guard FileManager.default.fileExists(atPath: annotation.path) else {
                    return try skip("validation annotations \(config.data.val.annFile) not found under the data root",
                                    fix: entry.dataURLs.last.map { "fetch \($0) into $SKELZOO_HOME/\(URL(fileURLWithPath: config.data.val.annFile).deletingLastPathComponent().relativePath)/" }
                                        ?? "place \(annotation.lastPathComponent) at $SKELZOO_HOME/\(config.data.val.annFile)")
                }
                var recorder = try RunRecorder(context: context, entry: entry, mode: "eval", seed: nil, threads: threads, configHash: configHash, workDir: nil)
                recorder.run?.batch = batch
                let started = Date()
                do {
                    let sha = try Hashing.sha256(of: checkpoint)
                    recorder.run?.checkpointSHA256 = sha
                    if let prefix = entry.sha256Prefix, !sha.hasPrefix(prefix) {
                        throw RunnerError("\(checkpoint.path) has sha256 \(sha.prefix(8))…, the zoo expects \(prefix)…", hint: "delete it and download again")
                    }
                    var model = try ModelArgument.loadModel(config, checkpoint: checkpoint)
                    let samples = try AnnotationFile.load(annotation).samples
                    let evaluation = try Evaluator.evaluate(&model, samples: samples, pipeline: PosePipeline(config.testPipeline),
                                                            metrics: config.evaluation.metrics, topk: config.evaluation.topk,
                                                            batchSize: batchSize ?? config.data.testVideosPerGPU, threads: threads, source: annotation.path)
                    let metrics = Dictionary(uniqueKeysWithValues: evaluation.metrics)
                    try recorder.succeed(scores: metrics, checkpointSHA256: sha, wallSeconds: Date().timeIntervalSince(started))
                    let report = try ReportBuilder.entry(entry, registry: context.registry, batch: batch)
                    let (text, passes) = Self.verdict(report)
                    return Outcome(entry: entry.name, mode: "eval", status: "ran", verdict: text, metrics: metrics, passes: passes)
                } catch {
                    recorder.fail(error)
                    return Outcome(entry: entry.name, mode: "eval", status: "failed", verdict: "-", reason: "\(error)")
                }
            }

            let seedList = seeds.flatMap(parsedSeeds) ?? [entry.reference?.seed ?? 0]
            let files: (train: URL, val: URL)
            let train: [PoseSample], val: [PoseSample]
            do {
                files = try data.annotationFiles(for: config, entryName: entry.name)
                train = try AnnotationFile.load(files.train).samples
                val = try AnnotationFile.load(files.val).samples
            } catch let error as RunnerError where error.code == .dataMissing {
                return try skip("training annotations \(config.data.train.annFile) not found under the data root",
                                fix: entry.dataURLs.isEmpty ? "place the annotation files under $SKELZOO_HOME/ (see `skelzoo show \(entry.name)`)"
                                    : "fetch \(entry.dataURLs.joined(separator: " and ")) into $SKELZOO_HOME/data/posec3d/")
            } catch {
                // Anything but "not there" (a full disk while generating synthetic data, an unreadable file) is a failure.
                var recorder = try RunRecorder(context: context, entry: entry, mode: "train", seed: nil, threads: threads, configHash: configHash, workDir: nil)
                recorder.run?.batch = batch
                recorder.fail(error)
                return Outcome(entry: entry.name, mode: "train", status: "failed", verdict: "-", reason: "\(error)")
            }
            var hashes: [String] = []
            var lastMetrics: [String: Double] = [:]
            let splits: [SplitFingerprint]
            do {
                splits = try DatasetFingerprint.trainingSplits(config: config, resolver: data, files: files, train: train, val: val)
            } catch {
                return Outcome(entry: entry.name, mode: "train", status: "failed", verdict: "-", reason: "\(error)")
            }
            for warning in DatasetFingerprint.warnings(splits) { Console.info("\(entry.name): warning: \(warning)") }
            let recipe = PublishedRecipe.resolve(entry: entry, config: config)
            let gpuCount = gpus ?? recipe.defaultGPUs
            Console.info("\(entry.name): retraining on \(gpuCount) emulated GPU(s) x \(config.data.videosPerGPU)\(gpus == nil ? " (the published recipe)" : "")")
            for seed in seedList {
                let work = context.home.appending(path: "runs/\(entry.name)/seed\(seed)")
                do {
                    // Refused before it is recorded: a run that never started must not hide the one that holds the work dir.
                    try WorkDirectory.checkAvailable(work)
                } catch {
                    return Outcome(entry: entry.name, mode: "train", status: "failed", verdict: "-", reason: "seed \(seed): \(error)")
                }
                var recorder = try RunRecorder(context: context, entry: entry, mode: "train", seed: seed, threads: threads, configHash: configHash, workDir: work.path)
                recorder.run?.batch = batch
                do {
                    // startFresh clears the work dir under its lock: a second reproduce of this entry fails instead of deleting it.
                    var setup = TrainingSetup(config: config, configHash: configHash, configName: entry.name, seed: UInt64(seed), threads: threads,
                                              workDirectory: work, startFresh: true, trainSource: files.train.path, valSource: files.val.path,
                                              gpus: gpuCount)
                    setup.data = splits
                    let result = try TrainingRunner.run(setup, train: train, val: val)
                    try recorder.succeed(scores: result.metrics, weightsSHA256: result.weightsSHA256, history: result.history, wallSeconds: result.wallSeconds,
                                         gpus: result.gpus, perGPUBatch: result.perGPUBatch, splits: result.data)
                    hashes.append(result.weightsSHA256)
                    lastMetrics = result.metrics
                } catch {
                    recorder.fail(error)
                    return Outcome(entry: entry.name, mode: "train", status: "failed", verdict: "-", reason: "seed \(seed): \(error)")
                }
            }
            let report = try ReportBuilder.entry(entry, registry: context.registry, batch: batch)
            let (verdictText, passes) = Self.verdict(report)
            return Outcome(entry: entry.name, mode: "train", status: "ran", verdict: verdictText, metrics: lastMetrics, weightsSHA256: hashes, gpus: gpuCount, passes: passes)
        }

        /// An MMAction2 1.x entry: evaluates its cached checkpoint on the config's test split (10-clip pred_score,
        /// AccMetric), or records what it needs here (checkpoint, annotation file) and the command that provides it.
        func reproduce1x(_ entry: ZooEntry, config: RecognizerGCNConfig, mode: String, configHash: String, context: ZooContext,
                         data: DataResolver, batch: String, skip: (String, String?) throws -> Outcome) throws -> Outcome {
            guard mode == "eval" else {
                return try skip("retraining MMAction2 1.x entries is not wired into reproduce", "skelzoo reproduce \(entry.name) --mode eval")
            }
            guard let fileName = entry.checkpointFileName else {
                return try skip("the zoo gives no checkpoint for this entry", nil)
            }
            let checkpoint = context.home.appending(path: "checkpoints").appending(path: fileName)
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                return try skip("checkpoint not in the cache (no network here)", "skelzoo download \(entry.name)")
            }
            let annotation = data.url(config.test.annFile)
            guard FileManager.default.fileExists(atPath: annotation.path) else {
                return try skip("annotations \(config.test.annFile) not found under the data root", "skelzoo download \(entry.name) --data")
            }
            var recorder = try RunRecorder(context: context, entry: entry, mode: "eval", seed: nil, threads: threads, configHash: configHash, workDir: nil)
            recorder.run?.batch = batch
            let started = Date()
            do {
                let sha = try Hashing.sha256(of: checkpoint)
                recorder.run?.checkpointSHA256 = sha
                if let prefix = entry.sha256Prefix, !sha.hasPrefix(prefix) {
                    throw RunnerError("\(checkpoint.path) has sha256 \(sha.prefix(8))…, the zoo expects \(prefix)…", hint: "delete it and download again")
                }
                let network = try TaskRunner.loadRecognizer(config, checkpoint: checkpoint)
                let (_, samples) = try AnnotationFile.load(annotation, split: config.test.split)
                let evaluation = try ClipEvaluator.evaluate(
                    network, samples: samples, pipeline: ClipPipeline(config.testPipeline.steps), metrics: config.evaluator.metrics,
                    topk: config.evaluator.topk, batchSize: batchSize ?? config.test.batchSize, threads: threads, source: annotation.path)
                let metrics = Dictionary(uniqueKeysWithValues: evaluation.metrics)
                try recorder.succeed(scores: metrics, checkpointSHA256: sha, wallSeconds: Date().timeIntervalSince(started))
                let (text, passes) = Self.verdict(try ReportBuilder.entry(entry, registry: context.registry, batch: batch))
                return Outcome(entry: entry.name, mode: "eval", status: "ran", verdict: text, metrics: metrics, passes: passes)
            } catch {
                recorder.fail(error)
                return Outcome(entry: entry.name, mode: "eval", status: "failed", verdict: "-", reason: "\(error)")
            }
        }

        /// The entry's verdict over its primary-source metrics: the first failing one, else the first.
        static func verdict(_ entry: ReportEntry) -> (text: String, passes: Bool?) {
            let primary = entry.scores.first?.source
            let cells = entry.scores.filter { $0.source == primary }.map { MarkdownReport.cells(entry, $0) }.filter { $0.passes != nil }
            guard let chosen = cells.first(where: { $0.passes == false }) ?? cells.first else { return ("-", nil) }
            return (chosen.verdict, chosen.passes)
        }
    }
}
