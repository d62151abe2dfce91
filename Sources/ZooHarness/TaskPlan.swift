// A reproduce plan for an executor that runs tasks elsewhere (Slurm): one task per (entry, mode, seed), each a pure
// function of what the plan holds. The plan embeds every config's text and names the prepared annotation files and
// checkpoints by absolute path under the shared dir, so a node needs neither the zoo, the network nor the registry.
//
// Format (`plan.json`, UTF-8 JSON, written atomically):
//   format        "skelzoo-plan-1"
//   batch         the reproduce invocation's id; every collected run carries it
//   created_at    ISO 8601
//   shared_dir    absolute path every node sees
//   threads       worker threads per task (the sbatch cpus-per-task)
//   backend, isa  the arithmetic selection (SKELZOO_BACKEND / SKELZOO_ISA), null for the default
//   code_version  of the skelzoo that wrote the plan
//   tasks[]       index (= Slurm array index), entry, mode (train | eval), seed (train), config_name, config_text,
//                 config_hash (sha256 of config_text), work_dir, train_annotations, val_annotations,
//                 checkpoint + checkpoint_sha256 (eval), batch_size (eval, optional)
import Foundation
import ZooConfig
import ZooIO
import ZooRunner

public struct TaskPlan: Codable, Sendable, Equatable {
    public static let format = "skelzoo-plan-1"
    public static let fileName = "plan.json"

    public var format: String
    public var batch: String
    public var createdAt: Date
    public var sharedDir: String
    public var threads: Int
    public var backend: String?
    public var isa: String?
    public var codeVersion: String
    public var tasks: [PlanTask]

    public init(batch: String, createdAt: Date = Date(), sharedDir: URL, threads: Int, backend: String?, isa: String?,
                codeVersion: String, tasks: [PlanTask]) {
        format = Self.format
        self.batch = batch
        // Whole seconds: what ISO 8601 in plan.json keeps, so a plan read back equals the one written.
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.sharedDir = sharedDir.path
        self.threads = threads
        self.backend = backend
        self.isa = isa
        self.codeVersion = codeVersion
        self.tasks = tasks
    }

    enum CodingKeys: String, CodingKey {
        case format, batch, threads, backend, isa, tasks
        case createdAt = "created_at", sharedDir = "shared_dir", codeVersion = "code_version"
    }

    // MARK: - Files in the shared dir

    public var sharedURL: URL { URL(fileURLWithPath: sharedDir) }
    public static func url(in sharedDir: URL) -> URL { sharedDir.appending(path: fileName) }
    /// Folder of the Slurm task logs (`%A_%a.out`).
    public var logsURL: URL { sharedURL.appending(path: "logs") }

    // MARK: - Reading and writing

    /// Writes the plan atomically (temp file, fsync, rename).
    public func write(to url: URL) throws {
        try AtomicFile.write(try Self.encoder.encode(self), to: url)
    }

    /// Reads and checks a plan: its format, indices 0..<N in order, modes and the fields each mode needs.
    /// - Throws: ``HarnessError`` naming the file and the field.
    public static func load(_ url: URL) throws -> TaskPlan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw HarnessError("cannot read the plan \(url.path): \((error as NSError).localizedDescription)",
                               hint: "pass the plan.json that `skelzoo reproduce --executor slurm` wrote into the shared dir")
        }
        let plan: TaskPlan
        do { plan = try decoder.decode(TaskPlan.self, from: data) } catch {
            throw HarnessError("\(url.path): not a SkelZoo plan (\(describe(error)))", hint: "write it again with `skelzoo reproduce --executor slurm --dry-run`")
        }
        guard plan.format == format else {
            throw HarnessError("\(url.path): field 'format' is '\(plan.format)', this skelzoo reads '\(format)'", hint: "use the skelzoo that wrote the plan")
        }
        guard plan.threads >= 1 else { throw HarnessError("\(url.path): field 'threads' must be at least 1, not \(plan.threads)") }
        for (position, task) in plan.tasks.enumerated() {
            let field = "\(url.path): tasks[\(position)]"
            guard task.index == position else { throw HarnessError("\(field).index is \(task.index), expected \(position) (tasks are in array-index order)") }
            switch task.mode {
            case .train:
                guard let seed = task.seed, seed >= 0 else { throw HarnessError("\(field).seed: a train task needs a seed >= 0") }
            case .eval:
                guard task.checkpoint != nil else { throw HarnessError("\(field).checkpoint: an eval task needs a checkpoint") }
            }
            guard Hashing.sha256(Data(task.configText.utf8)) == task.configHash else {
                throw HarnessError("\(field).config_hash does not match config_text (the plan was edited)", hint: "write the plan again")
            }
        }
        return plan
    }

    /// The task at `index`, or an error naming the plan and its size.
    public func task(_ index: Int, plan url: URL) throws -> PlanTask {
        guard tasks.indices.contains(index) else {
            throw HarnessError("\(url.path) has \(tasks.count) tasks (0..<\(tasks.count)); there is no task \(index)")
        }
        return tasks[index]
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// A decoding error as "field a.b.c: what", never a raw dump.
    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing field '\((path(context).isEmpty ? "" : path(context) + ".") + key.stringValue)'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?: return "field '\(path(context))': \(context.debugDescription)"
        case .dataCorrupted(let context)?: return path(context).isEmpty ? "malformed JSON" : "field '\(path(context))': \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}

/// One run of a plan: an entry in one mode with one seed.
public struct PlanTask: Codable, Sendable, Equatable {
    public var index: Int
    public var entry: String
    /// Written as its text, `"train"` or `"eval"`; another text is refused when the plan is read, naming the field.
    public var mode: RunMode
    public var seed: Int?
    public var configName: String
    public var configText: String
    public var configHash: String
    public var workDir: String
    public var trainAnnotations: String?
    public var valAnnotations: String
    public var checkpoint: String?
    public var checkpointSHA256: String?
    public var batchSize: Int?
    /// Retrains: emulated GPUs (the entry's published count unless `--gpus` said otherwise); nil in plans from before, 1.
    public var gpus: Int?

    public init(index: Int, entry: String, mode: RunMode, seed: Int?, configName: String, configText: String, workDir: URL,
                trainAnnotations: URL?, valAnnotations: URL, checkpoint: URL? = nil, checkpointSHA256: String? = nil, batchSize: Int? = nil,
                gpus: Int? = nil) {
        self.gpus = gpus
        self.index = index
        self.entry = entry
        self.mode = mode
        self.seed = seed
        self.configName = configName
        self.configText = configText
        configHash = Hashing.sha256(Data(configText.utf8))
        self.workDir = workDir.path
        self.trainAnnotations = trainAnnotations?.path
        self.valAnnotations = valAnnotations.path
        self.checkpoint = checkpoint?.path
        self.checkpointSHA256 = checkpointSHA256
        self.batchSize = batchSize
    }

    enum CodingKeys: String, CodingKey {
        case index, entry, mode, seed, checkpoint, gpus
        case configName = "config_name", configText = "config_text", configHash = "config_hash", workDir = "work_dir"
        case trainAnnotations = "train_annotations", valAnnotations = "val_annotations"
        case checkpointSHA256 = "checkpoint_sha256", batchSize = "batch_size"
    }

    public var workURL: URL { URL(fileURLWithPath: workDir) }
    /// A short label for logs: `entry train seed 1`.
    public var label: String { "\(entry) \(mode.rawValue)\(seed.map { " seed \($0)" } ?? "")" }
}
