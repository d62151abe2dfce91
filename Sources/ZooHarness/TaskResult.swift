// What a task leaves in its work dir for `collect`:
//   result.json  the run's result; for train the trainer's own `TrainingResult`, for eval an ``EvalTaskResult``.
//                ``TaskResult`` reads the fields both share.
//   task.json    the attempt record (``TaskAttempt``): where and when it ran (node, Slurm job and array ids, restart
//                count), the skelzoo version, and on failure the error; written atomically at start and at the end.
import Foundation
import ZooIO
import ZooRunner

/// The fields of `result.json` that `collect` imports, for train and eval tasks alike.
public struct TaskResult: Codable, Sendable {
    public static let fileName = "result.json"

    public var seed: UInt64?
    public var metrics: [String: Double]
    public var weightsSHA256: String?
    public var checkpointSHA256: String?
    public var configHash: String
    public var history: [EpochSummary]?
    public var threads: Int
    public var machine: MachineInfo
    public var wallSeconds: Double
    /// Retrains: emulated GPUs and samples per GPU per step, as the trainer's result.json records them.
    public var gpus: Int?
    public var perGPUBatch: Int?

    public init(seed: UInt64?, metrics: [String: Double], weightsSHA256: String?, checkpointSHA256: String?, configHash: String,
                history: [EpochSummary]?, threads: Int, machine: MachineInfo, wallSeconds: Double) {
        self.seed = seed
        self.metrics = metrics
        self.weightsSHA256 = weightsSHA256
        self.checkpointSHA256 = checkpointSHA256
        self.configHash = configHash
        self.history = history
        self.threads = threads
        self.machine = machine
        self.wallSeconds = wallSeconds
    }

    enum CodingKeys: String, CodingKey {
        case seed, metrics, history, threads, machine, gpus
        case weightsSHA256 = "weights_sha256", checkpointSHA256 = "checkpoint_sha256", configHash = "config_hash", wallSeconds = "wall_seconds"
        case perGPUBatch = "per_gpu_batch"
    }

    /// The task's result if its work dir holds one for this task; nil when there is none yet.
    /// - Throws: ``HarnessError`` naming the file when it is there but unreadable, malformed, or from another config or seed.
    public static func load(for task: PlanTask) throws -> TaskResult? {
        let url = task.workURL.appending(path: fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let result: TaskResult
        do {
            result = try JSONDecoder().decode(TaskResult.self, from: try Data(contentsOf: url))
        } catch let error as DecodingError {
            throw HarnessError("\(url.path): not a result file (\(TaskPlan.describe(error)))", hint: "move it away and run the task again")
        } catch {
            throw HarnessError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        guard result.configHash == task.configHash else {
            throw HarnessError("\(url.path): field 'config_hash' is \(result.configHash.prefix(12))…, the plan's task \(task.index) has \(task.configHash.prefix(12))…",
                               hint: "the work dir holds another run's result; use a new --shared-dir")
        }
        if let seed = task.seed, result.seed != UInt64(seed) {
            throw HarnessError("\(url.path): field 'seed' is \(result.seed.map(String.init) ?? "missing"), the plan's task \(task.index) has seed \(seed)",
                               hint: "the work dir holds another run's result; use a new --shared-dir")
        }
        return result
    }
}

/// One attempt at a task (a requeued Slurm task makes several; the file keeps the last and counts them).
public struct TaskAttempt: Codable, Sendable, Equatable {
    public static let fileName = "task.json"
    public enum Status: String, Codable, Sendable { case running, succeeded, failed }

    public var index: Int
    public var status: Status
    public var attempts: Int
    public var startedAt: Date
    public var finishedAt: Date?
    public var host: String
    public var pid: Int
    public var codeVersion: String
    /// SLURM_ARRAY_JOB_ID, SLURM_JOB_ID (this task's own id), SLURMD_NODENAME, SLURM_RESTART_COUNT; nil outside Slurm.
    public var arrayJobId: String?
    public var jobId: String?
    public var node: String?
    public var restartCount: Int?
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case index, status, attempts, host, pid, node, message
        case startedAt = "started_at", finishedAt = "finished_at", codeVersion = "code_version", arrayJobId = "array_job_id",
             jobId = "job_id", restartCount = "restart_count"
    }

    static func url(for task: PlanTask) -> URL { task.workURL.appending(path: fileName) }

    /// The attempt record in the task's work dir; nil when there is none.
    /// - Throws: ``HarnessError`` naming the file when it is there but unreadable or malformed.
    public static func load(for task: PlanTask) throws -> TaskAttempt? {
        let url = url(for: task)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try TaskPlan.decoder.decode(TaskAttempt.self, from: try Data(contentsOf: url))
        } catch let error as DecodingError {
            throw HarnessError("\(url.path): not a task record (\(TaskPlan.describe(error)))", hint: "move it away; `collect` then uses the Slurm state only")
        } catch {
            throw HarnessError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
    }

    func write(for task: PlanTask) throws {
        try AtomicFile.write(try TaskPlan.encoder.encode(self), to: Self.url(for: task))
    }
}
