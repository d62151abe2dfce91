import Foundation
import ZooConfig
import ZooRegistry
import ZooReport
import ZooIO
import ZooRunner

/// Reads the registry into the plain values ZooReport renders: per entry, the newest group of runs.
public enum ReportBuilder {
    public static func collections(_ context: ZooContext, only names: Set<String>? = nil) throws -> [ReportCollection] {
        var result: [ReportCollection] = []
        for file in context.files {
            for collection in file.collections {
                let entries = file.entries.filter { $0.collection == collection.name && (names?.contains($0.name) ?? true) }
                guard !entries.isEmpty else { continue }
                result.append(ReportCollection(name: collection.name, entries: try entries.map { zoo in
                    let config = try config(of: zoo, context: context)
                    var report = try entry(zoo, registry: context.registry, config: config)
                    report.publishedLog = try publishedLog(zoo, report: report, config: config?.config, context: context)
                    return report
                }))
            }
        }
        return result
    }

    /// The local training log's lines for a retrained entry (its training split's size from the newest run).
    static func publishedLog(_ zoo: ZooEntry, report: ReportEntry, config: ExperimentConfig?, context: ZooContext) throws -> [String] {
        guard let config, case .retrained(let seeds) = report.state, let first = seeds.first else { return [] }
        let samples = try context.registry.splits(ofRun: first.runID).first { $0.split == "train" }.map { $0.samples * config.data.train.repeatTimes }
        return try PublishedLog.lines(for: zoo, home: context.home, config: config, trainingSamples: samples) ?? []
    }

    /// An entry's config and its hash, for the recipe comparison; nil when the config cannot be read here (the report
    /// then compares no recipe for it, and says nothing about one).
    public static func config(of zoo: ZooEntry, context: ZooContext) throws -> (config: ExperimentConfig, hash: String)? {
        let text: String, origin: String
        do { (text, origin) = try context.sources.configText(for: zoo) } catch { return nil }
        do { return (try ExperimentConfig.parse(text, file: origin), Hashing.sha256(Data(text.utf8))) } catch { return nil }
    }

    /// - Parameters:
    ///   - batch: a reproduce invocation whose runs decide (its own verdict, whatever ran since); nil for the newest.
    ///   - config: the entry's config and its hash: with it, retrains carry their recipe against the published one.
    public static func entry(_ zoo: ZooEntry, registry: Registry, batch: String? = nil,
                             config: (config: ExperimentConfig, hash: String)? = nil) throws -> ReportEntry {
        let scores = zoo.scores.map { ReportScore(metric: $0.metric, value: $0.value, source: $0.source, footnote: $0.footnote) }
        let reference = zoo.reference.map { ReferenceBits(seed: $0.seed, weightsSHA256: $0.weightsSHA256, arithmetic: $0.arithmetic) }
        let group = try newestGroup(zoo.name, registry: registry, batch: batch)
        let rule = group.first { $0.seedRuleHalfWidth != nil }.flatMap { run in
            run.seedRuleHalfWidth.map { SeedRule(halfWidth: $0, maximum: run.seedRuleMaximum ?? SeedStopping.defaultMaximumSeeds) }
        }
        let published = config.map { RecipeSides.published(zoo, config: $0.config) }
        return ReportEntry(name: zoo.name, scores: scores, state: try state(zoo.name, group: group, registry: registry, config: config),
                           reference: reference, publishedRecipe: published, seedRule: rule)
    }

    /// The newest run's reproduce batch (or the run alone), newest first; empty when the entry never ran.
    static func newestGroup(_ name: String, registry: Registry, batch: String?) throws -> [Run] {
        let runs = try registry.runs(for: name).filter { batch == nil || $0.batch == batch }
        guard let newest = runs.first else { return [] }
        return newest.batch.map { batch in runs.filter { $0.batch == batch } } ?? [newest]
    }

    /// The newest run decides: its reproduce batch (or itself), then the newest succeeded run per seed within it.
    public static func state(_ name: String, registry: Registry, batch: String? = nil) throws -> EntryState {
        try state(name, group: try newestGroup(name, registry: registry, batch: batch), registry: registry, config: nil)
    }

    static func state(_ name: String, group: [Run], registry: Registry, config: (config: ExperimentConfig, hash: String)?) throws -> EntryState {
        guard let newest = group.first else { return .notRun("never run here; `skelzoo reproduce \(name)`") }
        if let broken = group.first(where: { $0.status == .failed || $0.crashed }) {
            return .failed(broken.status == .failed ? (broken.message ?? "failed") : "the process died during the run (killed or crashed); run #\(broken.id ?? 0) never finished")
        }
        if group.contains(where: { $0.status == .running }) { return .notRun("a run is in progress (run #\(newest.id ?? 0))") }
        if let skipped = group.first(where: { $0.status == .skipped }), !group.contains(where: { $0.status == .succeeded }) {
            return .skipped(reason: skipped.skipReason ?? skipped.message ?? "skipped", fix: skipped.fixCommand)
        }
        var seen: Set<Int> = []
        var results: [SeedResult] = []
        for run in group where run.status == .succeeded {
            if let seed = run.seed, !seen.insert(seed).inserted { continue }
            var result = try seedResult(run, registry: registry)
            if run.mode == RunMode.train.rawValue {
                result.recipe = RecipeSides.run(run, splits: try registry.splits(ofRun: run.id ?? 0), config: config?.config, configHash: config?.hash)
            }
            results.append(result)
        }
        results.sort { ($0.seed ?? 0) < ($1.seed ?? 0) }
        if RunMode(rawValue: newest.mode) == .eval, let first = results.first { return .evaluated(first) }
        return results.isEmpty ? .notRun("no finished run") : .retrained(results)
    }

    public static func seedResult(_ run: Run, registry: Registry) throws -> SeedResult {
        let id = run.id ?? 0
        let scores = Dictionary(uniqueKeysWithValues: try registry.scores(ofRun: id).map { ($0.metric, $0.value) })
        let epochs = try registry.epochMetrics(ofRun: id)
        let byEpoch = Dictionary(grouping: epochs, by: \.epoch)
        let curve = byEpoch.keys.sorted().compactMap { epoch -> (epoch: Int, loss: Double, valTop1: Double?)? in
            let metrics = byEpoch[epoch] ?? []
            guard let loss = metrics.first(where: { $0.metric == "loss" })?.value else { return nil }
            return (epoch, loss, metrics.first(where: { $0.metric == "val_top1_acc" })?.value)
        }
        let formatter = ISO8601DateFormatter()
        var provenance: [(String, String)] = [("mode", run.mode), ("started", formatter.string(from: run.startedAt))]
        if let value = run.codeVersion { provenance.append(("code version", value)) }
        if let value = run.configHash { provenance.append(("config sha256", "`\(value)`")) }
        if let value = run.checkpointSHA256 { provenance.append(("checkpoint sha256", "`\(value)`")) }
        if let value = run.threads { provenance.append(("threads", "\(value)")) }
        if let value = run.cpu { provenance.append(("CPU", value)) }
        if let value = run.arithmetic { provenance.append(("arithmetic", value)) }
        if let value = run.kernel { provenance.append(("GEMM kernel", value)) }
        if let value = run.wallSeconds { provenance.append(("wall time", String(format: "%.1f s", value))) }
        if let gpus = run.gpus {
            let perGPU = run.perGPUBatch
            provenance.append(("GPUs (emulated data parallel)", perGPU.map { "\(gpus) x \($0) = total batch \(gpus * $0)" } ?? "\(gpus)"))
        }
        let splits = try registry.splits(ofRun: id)
        for split in splits {
            provenance.append(("data \(split.split)", "\(split.samples) samples, \(split.classes) classes; file `\(URL(fileURLWithPath: split.file).lastPathComponent)` sha256 `\(split.fileSHA256)`; split fingerprint `\(split.fingerprint)`"))
        }
        let fingerprints = splits.map { SplitFingerprint(split: $0.split, file: $0.file, fileSHA256: $0.fileSHA256, fingerprint: $0.fingerprint,
                                                          samples: $0.samples, classes: $0.classes) }
        for warning in DatasetFingerprint.warnings(fingerprints) { provenance.append(("data warning", warning)) }
        if let value = run.executor { provenance.append(("executor", value)) }
        if let job = run.jobId { provenance.append(("Slurm job", run.arrayTaskId.map { "\(job)_\($0)" } ?? job)) }
        if let value = run.node { provenance.append(("node", value)) }
        if let value = run.slurmState { provenance.append(("Slurm state", value)) }
        return SeedResult(seed: run.seed, metrics: scores, weightsSHA256: run.weightsSHA256, curve: curve, runID: id, provenance: provenance,
                          arithmetic: run.arithmetic)
    }
}

extension ReportBuilder {
    /// The entry's verdict over its primary-source metrics: the first failing one, else the first. `passes` comes from the
    /// typed ``Verdict`` (or a failed run), never from the rendered text; nil when nothing was judged.
    public static func verdict(_ entry: ReportEntry) -> (text: String, passes: Bool?) {
        let primary = entry.scores.first?.source
        let cells = entry.scores.filter { $0.source == primary }.map { MarkdownReport.cells(entry, $0) }.filter { $0.passes != nil }
        guard let chosen = cells.first(where: { $0.passes == false }) ?? cells.first else { return ("-", nil) }
        return (chosen.verdict, chosen.passes)
    }
}

/// `skelzoo report`: renders every collection and writes the files atomically.
public enum ReportWriter {
    /// Returns the paths written.
    public static func write(context: ZooContext, to folder: URL) throws -> [String] {
        let collections = try ReportBuilder.collections(context)
        let files = MarkdownReport.render(collections, generatedFrom: "the SkelZoo registry")
        var written: [String] = []
        for (path, text) in files {
            let url = folder.appending(path: path)
            try AtomicFile.write(Data(text.utf8), to: url)
            written.append(url.path)
        }
        return written
    }
}
