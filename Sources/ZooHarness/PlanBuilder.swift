// Writing a plan into a shared dir and preparing everything its tasks read, before anything is submitted: synthetic
// data generated, annotation files and checkpoints copied (and hashed) under DIR, so that nodes never race on a
// cache, never need the network and never write outside their own work dirs.
//
// Layout of the shared dir:
//   plan.json              the plan (``TaskPlan``)
//   submit.sbatch          the array script (``SlurmScript``)
//   submission.json        the job id once submitted (``Submission``)
//   data/<ann_file>        annotation files, at the config's relative paths
//   checkpoints/<file>     checkpoints of eval tasks
//   work/<index>-<entry>-<mode>[-seed<N>]/   each task's work dir (latest.pth, log.jsonl, task.json, result.json)
//   logs/<job>_<index>.out each task's Slurm output
import Foundation
import ZooConfig
import ZooIO
import ZooRunner

public enum PlanBuilder {
    /// One entry to plan: its definition, resolved mode (train or eval), config text and, for train, seeds.
    public struct Request: Sendable {
        public var entry: ZooEntry
        public var mode: RunMode
        public var configText: String
        public var configOrigin: String
        public var seeds: [Int]
        public var batchSize: Int?
        /// `--gpus` for retrains; nil: the entry's published count (``PublishedRecipe/defaultGPUs``).
        public var gpus: Int?

        public init(entry: ZooEntry, mode: RunMode, configText: String, configOrigin: String, seeds: [Int], batchSize: Int? = nil, gpus: Int? = nil) {
            self.gpus = gpus
            self.entry = entry
            self.mode = mode
            self.configText = configText
            self.configOrigin = configOrigin
            self.seeds = seeds
            self.batchSize = batchSize
        }
    }

    /// An entry that cannot run (no checkpoint, no data): recorded as skipped, as a local reproduce does.
    public struct Skip: Sendable, Equatable {
        public var entry: String
        public var mode: RunMode
        /// nil for a fusion entry (it has no config).
        public var configHash: String?
        public var reason: String
        public var fix: String?
    }

    /// Where things come from on this machine.
    public struct Sources: Sendable {
        /// The data root the configs' ann_file paths are relative to (for data that is not synthetic).
        public var dataRoot: URL
        /// The checkpoint cache (`$SKELZOO_HOME/checkpoints`).
        public var checkpoints: URL

        public init(dataRoot: URL, checkpoints: URL) {
            self.dataRoot = dataRoot
            self.checkpoints = checkpoints
        }
    }

    /// Prepares the shared dir and returns the plan (not yet written) and the entries skipped.
    /// - Throws: ``HarnessError`` when the shared dir already holds a plan, a config does not parse, or a copy fails;
    ///   the data generator's and hashing's errors.
    public static func prepare(_ requests: [Request], sharedDir: URL, sources: Sources, batch: String, threads: Int,
                               backend: String?, isa: String?, codeVersion: String, log: (String) -> Void = { _ in }) throws -> (plan: TaskPlan, skipped: [Skip]) {
        guard sharedDir.path.hasPrefix("/") else { throw HarnessError("--shared-dir must be an absolute path, not '\(sharedDir.relativePath)'") }
        let planURL = TaskPlan.url(in: sharedDir)
        if FileManager.default.fileExists(atPath: planURL.path) {
            throw HarnessError("\(sharedDir.path) already holds a plan (\(planURL.path))",
                               hint: "collect it with `skelzoo collect \(sharedDir.path)`, then use a new --shared-dir for a new reproduce")
        }
        try Folder.create(sharedDir)
        let data = sharedDir.appending(path: "data")
        var tasks: [PlanTask] = []
        var skipped: [Skip] = []
        for request in requests {
            let entry = request.entry
            if let fusion = Reproducer.fusionSkip(entry) {
                skipped.append(Skip(entry: entry.name, mode: request.mode, configHash: nil, reason: fusion.reason, fix: fusion.fix))
                continue
            }
            let configHash = Hashing.sha256(Data(request.configText.utf8))
            func skip(_ reason: String, _ fix: String?) {
                skipped.append(Skip(entry: entry.name, mode: request.mode, configHash: configHash, reason: reason, fix: fix))
            }
            let config: ExperimentConfig
            do {
                switch try EntryConfig.parse(request.configText, file: request.configOrigin) {
                case .mmaction0x(let config0x): config = config0x
                case .mmaction1x:
                    skip("an MMAction2 1.x entry: the Slurm executor runs 0.x entries only; 1.x evaluations and retrains run locally",
                         "skelzoo reproduce \(entry.name) --mode \(request.mode.rawValue)")
                    continue
                }
            } catch { throw HarnessError("\(error)") }
            if request.mode == .eval {
                guard let fileName = entry.checkpointFileName else {
                    skip("the zoo gives no checkpoint for this entry", "skelzoo reproduce \(entry.name) --mode train")
                    continue
                }
                let cached = sources.checkpoints.appending(path: fileName)
                guard FileManager.default.fileExists(atPath: cached.path) else {
                    skip("checkpoint not in the cache (no network here)", "skelzoo download \(entry.name)")
                    continue
                }
                let val = DataResolver(root: sources.dataRoot).url(config.data.val.annFile)
                guard FileManager.default.fileExists(atPath: val.path) else {
                    skip("validation annotations \(config.data.val.annFile) not found under the data root",
                         "place \(val.lastPathComponent) at $SKELZOO_HOME/\(config.data.val.annFile)")
                    continue
                }
                log("\(entry.name): copying \(fileName) and \(config.data.val.annFile) into \(sharedDir.path)")
                let sha = try SharedCopy.copy(cached, to: sharedDir.appending(path: "checkpoints/\(fileName)"))
                if let prefix = entry.sha256Prefix, !sha.hasPrefix(prefix) {
                    throw HarnessError("\(cached.path) has sha256 \(sha.prefix(8))…, the zoo expects \(prefix)…", hint: "delete it and `skelzoo download \(entry.name)` again")
                }
                if let full = entry.sha256, sha != full {
                    throw HarnessError("\(cached.path) has sha256 \(sha.prefix(12))…, the zoo expects \(full.prefix(12))…", hint: "delete it and `skelzoo download \(entry.name)` again")
                }
                let sharedVal = data.appending(path: relative(config.data.val.annFile))
                _ = try SharedCopy.copy(val, to: sharedVal)
                tasks.append(PlanTask(index: tasks.count, entry: entry.name, mode: .eval, seed: nil, configName: entry.name,
                                      configText: request.configText, workDir: workDir(sharedDir, index: tasks.count, entry: entry.name, mode: .eval, seed: nil),
                                      trainAnnotations: nil, valAnnotations: sharedVal, checkpoint: sharedDir.appending(path: "checkpoints/\(fileName)"),
                                      checkpointSHA256: sha, batchSize: request.batchSize))
                continue
            }
            let files: (train: URL, val: URL)
            if config.synthetic != nil {
                log("\(entry.name): generating its synthetic data under \(data.path)")
                files = try DataResolver(root: data).annotationFiles(for: config, entryName: entry.name)
            } else {
                do {
                    let local = try DataResolver(root: sources.dataRoot).annotationFiles(for: config, entryName: entry.name)
                    files = (data.appending(path: relative(config.data.train.annFile)), data.appending(path: relative(config.data.val.annFile)))
                    log("\(entry.name): copying its annotation files into \(data.path)")
                    _ = try SharedCopy.copy(local.train, to: files.train)
                    _ = try SharedCopy.copy(local.val, to: files.val)
                } catch let error as RunnerError where error.code == .dataMissing {
                    skip("training annotations \(config.data.train.annFile) not found under the data root",
                         entry.dataURLs.isEmpty ? "place the annotation files under $SKELZOO_HOME/ (see `skelzoo show \(entry.name)`)"
                             : "fetch \(entry.dataURLs.joined(separator: " and ")) into $SKELZOO_HOME/data/posec3d/")
                    continue
                }
            }
            for seed in request.seeds {
                tasks.append(PlanTask(index: tasks.count, entry: entry.name, mode: .train, seed: seed, configName: entry.name,
                                      configText: request.configText, workDir: workDir(sharedDir, index: tasks.count, entry: entry.name, mode: .train, seed: seed),
                                      trainAnnotations: files.train, valAnnotations: files.val,
                                      gpus: request.gpus ?? PublishedRecipe.resolve(entry: entry, config: config).defaultGPUs))
            }
        }
        let plan = TaskPlan(batch: batch, sharedDir: sharedDir, threads: threads, backend: backend, isa: isa, codeVersion: codeVersion, tasks: tasks)
        return (plan, skipped)
    }

    static func workDir(_ sharedDir: URL, index: Int, entry: String, mode: RunMode, seed: Int?) -> URL {
        sharedDir.appending(path: "work/\(index)-\(entry)-\(mode.rawValue)\(seed.map { "-seed\($0)" } ?? "")")
    }

    /// An ann_file path below `data/`: relative paths as they are, absolute ones without their leading slash.
    static func relative(_ path: String) -> String {
        String(path.drop(while: { $0 == "/" }))
    }
}

/// Copies into the shared dir: streamed to a temporary file beside the target, fsynced, renamed into place; a target
/// that already has the source's bytes is kept.
public enum SharedCopy {
    /// Returns the copy's sha256.
    @discardableResult
    public static func copy(_ source: URL, to target: URL) throws -> String {
        let sha = try Hashing.sha256(of: source)
        if FileManager.default.fileExists(atPath: target.path), try Hashing.sha256(of: target) == sha { return sha }
        try Folder.create(target.deletingLastPathComponent())
        let temporary = target.deletingLastPathComponent().appending(path: ".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.copyItem(at: source, to: temporary)
            let handle = try FileHandle(forUpdating: temporary)
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: target.path) {
                _ = try FileManager.default.replaceItemAt(target, withItemAt: temporary)
            } else {
                try FileManager.default.moveItem(at: temporary, to: target)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)  // best effort; the error below is what matters
            throw HarnessError("cannot copy \(source.path) to \(target.path): \((error as NSError).localizedDescription)",
                               hint: "check that the shared dir is writable and has space")
        }
        let copied = try Hashing.sha256(of: target)
        guard copied == sha else {
            throw HarnessError("\(target.path) has sha256 \(copied.prefix(12))… after copying, \(source.path) has \(sha.prefix(12))…",
                               hint: "the shared file system lost bytes; check it and run again")
        }
        return sha
    }
}
