// `skelzoo reproduce` on this machine: for each entry, resolve the mode, record what cannot run here as skipped (with
// the command that would fix it), evaluate the cached checkpoint or retrain each seed, record every run, and judge the
// entry from its typed verdict.
import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRegistry
import ZooReport
import ZooRunner
import ZooSTGCN

public enum Reproducer {
    public struct Options {
        public var mode: ModeChoice = .auto
        /// Seeds for retrains (nil: the zoo's reference seed, else 0).
        public var seeds: [Int]?
        /// The folder the configs' ann_file paths are relative to.
        public var dataRoot: URL
        public var threads: Int
        /// Samples per forward pass of an evaluation (nil: the config's test batch size).
        public var batchSize: Int?
        /// Emulated GPUs of retrains (nil: each entry's published count).
        public var gpus: Int?
        /// `--seeds auto`: seeds 0, 1, 2, ... until the 95% interval of the mean is narrow enough (``SeedStopping``);
        /// nil runs ``seeds``.
        public var seedRule: SeedRule?

        public init(dataRoot: URL, threads: Int) {
            self.dataRoot = dataRoot
            self.threads = threads
        }
    }

    /// What became of one entry.
    public struct Outcome: Encodable, Sendable {
        public enum Status: String, Encodable, Sendable { case ran, skipped, failed }

        public var entry: String
        public var mode: RunMode
        public var status: Status
        /// The verdict's text ("-" when nothing was judged).
        public var verdict: String
        public var reason: String?
        public var fix: String?
        public var metrics: [String: Double]?
        public var weightsSHA256: [String]?
        /// Emulated GPUs of the retrains (nil for evaluations and skips).
        public var gpus: Int?
        /// Whether the verdict is a success (nil: nothing judged).
        public var passes: Bool?
        /// `--seeds auto`: the rule in words, and the interval the seeds gave (n, mean, std, lower, upper in points).
        public var seedRule: String?
        public var interval: IntervalSummary?

        public struct IntervalSummary: Encodable, Sendable {
            public var n: Int
            public var mean: Double
            public var std: Double
            public var lower: Double
            public var upper: Double
            public var halfWidth: Double

            init(_ interval: ConfidenceInterval) {
                (n, mean, std, lower, upper, halfWidth) = (interval.count, interval.mean, interval.std, interval.lower, interval.upper, interval.halfWidth)
            }

            enum CodingKeys: String, CodingKey {
                case n, mean, std, lower, upper
                case halfWidth = "half_width"
            }
        }

        enum CodingKeys: String, CodingKey {
            case entry, mode, status, verdict, reason, fix, metrics, passes, gpus, interval
            case weightsSHA256 = "weights_sha256", seedRule = "seed_rule"
        }

        /// Ran and reproduced.
        public var reproduced: Bool { status == .ran && passes == true }
        /// Ran and did not reproduce (or nothing could be judged).
        public var differs: Bool { status == .ran && passes != true }

        static func failed(_ entry: ZooEntry, _ mode: RunMode, _ reason: String) -> Outcome {
            Outcome(entry: entry.name, mode: mode, status: .failed, verdict: "-", reason: reason)
        }
    }

    /// Counts over a batch's outcomes.
    public struct Summary: Sendable, Equatable {
        public var reproduced = 0, differs = 0, skipped = 0, failed = 0

        public init(_ outcomes: [Outcome]) {
            reproduced = outcomes.count(where: \.reproduced)
            differs = outcomes.count(where: \.differs)
            skipped = outcomes.count { $0.status == .skipped }
            failed = outcomes.count { $0.status == .failed }
        }

        /// Something ran and did not reproduce, or failed: a non-zero exit.
        public var isFailure: Bool { differs + failed > 0 }

        public var line: String { "summary: \(reproduced) reproduced, \(differs) differ, \(skipped) skipped, \(failed) failed" }
    }

    /// Reproduces `entries` one after another as one batch, logging `[i/n] entry` before and after each.
    public static func run(_ entries: [ZooEntry], options: Options, context: ZooContext, batch: String = UUID().uuidString,
                           log: HarnessLog) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for (index, entry) in entries.enumerated() {
            log.info("[\(index + 1)/\(entries.count)] \(entry.name)")
            let outcome = try reproduce(entry, options: options, context: context, batch: batch, log: log)
            log.info("[\(index + 1)/\(entries.count)] \(entry.name): \(outcome.status.rawValue)\(outcome.verdict == "-" ? "" : ", \(outcome.verdict)")\(outcome.reason.map { " (\($0))" } ?? "")")
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Why a fusion entry is not run (it has no model of its own) and the command that computes it; nil for other entries.
    public static func fusionSkip(_ entry: ZooEntry) -> (reason: String, fix: String)? {
        guard let fusion = entry.fusion else { return nil }
        return ("a fusion entry: it is computed from its \(fusion.components.count) streams' test results",
                "skelzoo fuse \(entry.name) \(fusion.components.map { "\($0.entry).json" }.joined(separator: " "))")
    }

    /// Reproduces one entry; every run (and skip) is recorded under `batch`. Throws only when the registry cannot record.
    public static func reproduce(_ entry: ZooEntry, options: Options, context: ZooContext, batch: String, log: HarnessLog) throws -> Outcome {
        let mode = options.mode.resolve(for: entry)
        func skip(_ reason: String, fix: String?, configHash: String?) throws -> Outcome {
            try RunRecorder.recordSkip(context.registry, entry: entry.name, mode: mode, batch: batch, reason: reason, fix: fix, configHash: configHash)
            return Outcome(entry: entry.name, mode: mode, status: .skipped, verdict: "-", reason: reason, fix: fix)
        }
        if let fusion = fusionSkip(entry) { return try skip(fusion.reason, fix: fusion.fix, configHash: nil) }
        let (text, origin) = try context.sources.configText(for: entry)
        let configHash = Hashing.sha256(Data(text.utf8))
        func skip(_ reason: String, fix: String?) throws -> Outcome { try skip(reason, fix: fix, configHash: configHash) }
        let config: ExperimentConfig
        switch try EntryConfig.parse(text, file: origin) {
        case .mmaction0x(let config0x): config = config0x
        case .mmaction1x(let config1x):
            return try reproduce1x(entry, config: config1x, mode: mode, configHash: configHash, options: options, context: context, batch: batch,
                                   log: log, skip: skip)
        }
        func recorder(seed: Int?, workDir: String?) throws -> RunRecorder {
            var recorder = try RunRecorder(context: context, entry: entry, mode: mode, seed: seed, threads: options.threads,
                                           configHash: configHash, workDir: workDir, log: log)
            recorder.run?.batch = batch
            return recorder
        }
        let data = DataResolver(root: options.dataRoot)

        if mode == .eval {
            guard entry.weightsURL != nil, let fileName = entry.checkpointFileName else {
                return try skip("the zoo gives no checkpoint for this entry", fix: "skelzoo reproduce \(entry.name) --mode train")
            }
            let checkpoint = context.checkpointURL(fileName: fileName)
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                return try skip("checkpoint not in the cache (no network here)", fix: "skelzoo download \(entry.name)")
            }
            let annotation = data.url(config.data.val.annFile)
            guard FileManager.default.fileExists(atPath: annotation.path) else {
                return try skip("validation annotations \(config.data.val.annFile) not found under the data root",
                                fix: entry.dataURLs.last.map { "fetch \($0) into $SKELZOO_HOME/\(URL(fileURLWithPath: config.data.val.annFile).deletingLastPathComponent().relativePath)/" }
                                    ?? "place \(annotation.lastPathComponent) at $SKELZOO_HOME/\(config.data.val.annFile)")
            }
            return try evaluateCached(entry, checkpoint: checkpoint, recorder: recorder(seed: nil, workDir: nil), context: context, batch: batch) {
                var model = try ModelLoader.model(config, checkpoint: checkpoint)
                let samples = try AnnotationFile.load(annotation).samples
                return try CheckpointTest.evaluate(&model, config: config, samples: samples, batchSize: options.batchSize,
                                                   threads: options.threads, source: annotation.path)
            }
        }

        let recipe = PublishedRecipe.resolve(entry: entry, config: config)
        return try retrain(entry, config: .mmaction0x(config), configHash: configHash, options: options, context: context, batch: batch, log: log,
                           trainFile: config.data.train.annFile,
                           dataFix: entry.dataURLs.isEmpty ? "place the annotation files under $SKELZOO_HOME/ (see `skelzoo show \(entry.name)`)"
                               : "fetch \(entry.dataURLs.joined(separator: " and ")) into $SKELZOO_HOME/data/posec3d/", layout: (options.gpus ?? recipe.defaultGPUs, nil),
                           load: { try TrainingData.load(config, resolver: data, entryName: entry.name) },
                           recorder: { try recorder(seed: $0, workDir: $1) }, skip: skip)
    }

    /// Retrains an entry of either release for each seed (or until `--seeds auto` stops), recording every run, and judges it.
    /// `load` reads the data (a `dataMissing` error is a skip naming `trainFile`, with `dataFix`); `layout` is the GPUs and per-GPU batch.
    static func retrain(_ entry: ZooEntry, config: EntryConfig, configHash: String, options: Options, context: ZooContext, batch: String,
                        log: HarnessLog, trainFile: String, dataFix: String, layout: (gpus: Int, perGPUBatch: Int?), load: () throws -> TrainingData,
                        recorder: (Int?, String?) throws -> RunRecorder, skip: (String, String?) throws -> Outcome) throws -> Outcome {
        let plan: TrainingPlan
        do { plan = try TrainingPlan(config) } catch { return .failed(entry, .train, "\(error)") }
        let config0x: ExperimentConfig? = if case .mmaction0x(let config) = config { config } else { nil }
        let seedList = options.seedRule.map { Array(0..<$0.maximum) } ?? options.seeds ?? [entry.reference?.seed ?? 0]
        let prepared: TrainingData
        do {
            prepared = try load()
        } catch let error as RunnerError where error.code == .dataMissing {
            return try skip("training annotations \(trainFile) not found under the data root", dataFix)
        } catch {
            // Anything but "not there" (a full disk while generating synthetic data, an unreadable file) is a failure.
            try recorder(nil, nil).fail(error)
            return .failed(entry, .train, "\(error)")
        }
        var hashes: [String] = []
        var lastMetrics: [String: Double] = [:]
        let splits = prepared.splits
        let published = RecipeSides.published(entry, config: config)
        let dataFiles = Dictionary(splits.map { ($0.split, $0.fileSHA256) }, uniquingKeysWith: { first, _ in first })
        for warning in DatasetFingerprint.warnings(splits) + RecipeSides.dataWarnings(run: dataFiles, published: published.dataFiles) {
            log.info("\(entry.name): warning: \(warning)")
        }
        // --seeds auto judges the entry's first published metric.
        let metric = entry.scores.first.flatMap { MetricNames.measuredBy[$0.metric]?.first } ?? "top1_acc"
        var scores: [Double] = []
        var interval: ConfidenceInterval?
        let (gpuCount, perGPUBatch) = layout
        log.info("\(entry.name): retraining on \(gpuCount) emulated GPU(s) x \(perGPUBatch ?? plan.batchSize)\(options.gpus == nil ? " (the published recipe)" : "")")
        for seed in seedList {
            let work = context.home.appending(path: "runs/\(entry.name)/seed\(seed)")
            do {
                // Refused before it is recorded: a run that never started must not hide the one that holds the work dir.
                try WorkDirectory.checkAvailable(work)
            } catch {
                return .failed(entry, .train, "seed \(seed): \(error)")
            }
            var recorder = try recorder(seed, work.path)
            recorder.run?.seedRuleHalfWidth = options.seedRule?.halfWidth
            recorder.run?.seedRuleMaximum = options.seedRule?.maximum
            do {
                // startFresh clears the work dir under its lock: a second reproduce of this entry fails instead of deleting it.
                var setup = TrainingSetup(config: config, configHash: configHash, configName: entry.name, seed: UInt64(seed), threads: options.threads,
                                          workDirectory: work, startFresh: true, trainSource: prepared.trainSource, valSource: prepared.valSource,
                                          gpus: gpuCount, perGPUBatch: perGPUBatch)
                setup.data = splits
                let result = try TrainingRunner.run(setup, data: prepared, log: log)
                try recorder.succeed(result)
                hashes.append(result.weightsSHA256)
                lastMetrics = result.metrics
            } catch {
                recorder.fail(error)
                return .failed(entry, .train, "seed \(seed): \(error)")
            }
            guard let rule = options.seedRule else { continue }
            guard let value = lastMetrics[metric] else {
                return .failed(entry, .train, "seed \(seed): the run gave no \(metric), which --seeds auto judges")
            }
            scores.append(value * 100)
            let decision = SeedStopping.decide(scores: scores, halfWidth: rule.halfWidth, maximum: rule.maximum)
            switch decision {
            case .runAnother:
                log.info("\(entry.name): seed \(seed): \(metric) \(String(format: "%.2f", value * 100))\(SeedStopping.interval(scores).map { "; \($0.text)" } ?? ""); another seed")
                continue
            case .stopNarrowEnough(let narrow):
                interval = narrow
                log.info("\(entry.name): \(narrow.text): at most ± \(String(format: "%.2f", rule.halfWidth)), stopping")
            case .stopAtMaximum(let last):
                interval = last
                log.info("\(entry.name): \(rule.maximum) seeds ran\(last.map { "; \($0.text), wider than ± \(String(format: "%.2f", rule.halfWidth))" } ?? "")")
            }
            break
        }
        let report = try ReportBuilder.entry(entry, registry: context.registry, batch: batch, config: config0x.map { ($0, configHash) })
        let (verdictText, passes) = ReportBuilder.verdict(report)
        var outcome = Outcome(entry: entry.name, mode: .train, status: .ran, verdict: verdictText, metrics: lastMetrics, weightsSHA256: hashes,
                              gpus: gpuCount, passes: passes)
        if let rule = options.seedRule {
            outcome.seedRule = SeedStopping.rule(halfWidth: rule.halfWidth, maximum: rule.maximum)
            outcome.interval = interval.map(Outcome.IntervalSummary.init)
        }
        return outcome
    }

    /// An MMAction2 1.x entry: evaluates its cached checkpoint on the config's test split (10-clip pred_score, AccMetric),
    /// or records what it needs here (checkpoint, annotation file) and the command that provides it.
    static func reproduce1x(_ entry: ZooEntry, config: RecognizerGCNConfig, mode: RunMode, configHash: String, options: Options,
                            context: ZooContext, batch: String, log: HarnessLog,
                            skip: (String, String?) throws -> Outcome) throws -> Outcome {
        guard mode == .eval else {
            let layout: (gpus: Int, perGPUBatch: Int?)
            do { layout = try GPULayout.resolve(gpus: options.gpus, totalBatch: nil, config: config, log: log) } catch {
                return .failed(entry, .train, "\(error)")
            }
            return try retrain(entry, config: .mmaction1x(config), configHash: configHash, options: options, context: context, batch: batch, log: log,
                               trainFile: config.train.annFile, dataFix: "skelzoo download \(entry.name) --data", layout: layout,
                               load: { try TrainingData.load(config, resolver: DataResolver(root: options.dataRoot), entryName: entry.name) },
                               recorder: { seed, workDir in
                                   var recorder = try RunRecorder(context: context, entry: entry, mode: .train, seed: seed, threads: options.threads,
                                                                  configHash: configHash, workDir: workDir, log: log)
                                   recorder.run?.batch = batch
                                   return recorder
                               }, skip: skip)
        }
        guard let fileName = entry.checkpointFileName else {
            return try skip("the zoo gives no checkpoint for this entry", nil)
        }
        let checkpoint = context.checkpointURL(fileName: fileName)
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            return try skip("checkpoint not in the cache (no network here)", "skelzoo download \(entry.name)")
        }
        let annotation = DataResolver(root: options.dataRoot).url(config.test.annFile)
        guard FileManager.default.fileExists(atPath: annotation.path) else {
            return try skip("annotations \(config.test.annFile) not found under the data root", "skelzoo download \(entry.name) --data")
        }
        var recorder = try RunRecorder(context: context, entry: entry, mode: .eval, seed: nil, threads: options.threads,
                                       configHash: configHash, workDir: nil, log: log)
        recorder.run?.batch = batch
        return try evaluateCached(entry, checkpoint: checkpoint, recorder: recorder, context: context, batch: batch) {
            let network = try ModelLoader.recognizer(config, checkpoint: checkpoint)
            let samples = try AnnotationFile.load(annotation, split: config.test.split).samples
            return try CheckpointTest.evaluate(network, config: config, samples: samples, batchSize: options.batchSize,
                                               threads: options.threads, source: annotation.path)
        }
    }

    /// Checks the cached checkpoint against the zoo's sha256 prefix, runs `evaluate`, records the run (or its failure)
    /// and judges the entry.
    static func evaluateCached(_ entry: ZooEntry, checkpoint: URL, recorder: RunRecorder, context: ZooContext, batch: String,
                               evaluate: () throws -> Evaluation) throws -> Outcome {
        var recorder = recorder
        let started = Date()
        do {
            let sha = try Hashing.sha256(of: checkpoint)
            recorder.run?.checkpointSHA256 = sha
            if let prefix = entry.sha256Prefix, !sha.hasPrefix(prefix) {
                throw RunnerError("\(checkpoint.path) has sha256 \(sha.prefix(8))…, the zoo expects \(prefix)…", hint: "delete it and download again")
            }
            let metrics = Dictionary(uniqueKeysWithValues: try evaluate().metrics)
            try recorder.succeed(scores: metrics, checkpointSHA256: sha, wallSeconds: Date().timeIntervalSince(started))
            let (text, passes) = ReportBuilder.verdict(try ReportBuilder.entry(entry, registry: context.registry, batch: batch))
            return Outcome(entry: entry.name, mode: .eval, status: .ran, verdict: text, metrics: metrics, passes: passes)
        } catch {
            recorder.fail(error)
            return .failed(entry, .eval, "\(error)")
        }
    }
}
