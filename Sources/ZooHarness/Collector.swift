// `skelzoo collect DIR`: imports a plan's finished tasks into the registry, idempotently. Each collected task is one
// run record keyed by (batch, array task): a succeeded task with its scores, weights hash and per-epoch metrics; a
// failed, timed-out, cancelled or node-failed task as failed with its Slurm state and the tail of its log. A task
// still pending or running is left for a later collect; one recorded failed that has since succeeded (requeued by
// hand) is replaced by its success. Collecting again records nothing new.
import Foundation
import ZooIO
import ZooRegistry
import ZooRunner

/// What `sbatch` gave back, kept in the shared dir as `submission.json`.
public struct Submission: Codable, Sendable, Equatable {
    public static let fileName = "submission.json"
    public var jobId: String
    public var submittedAt: Date
    public var script: String

    public init(jobId: String, submittedAt: Date = Date(), script: String) {
        self.jobId = jobId
        self.submittedAt = submittedAt
        self.script = script
    }

    enum CodingKeys: String, CodingKey {
        case jobId = "job_id", submittedAt = "submitted_at", script
    }

    public func write(in sharedDir: URL) throws {
        try AtomicFile.write(try TaskPlan.encoder.encode(self), to: sharedDir.appending(path: Self.fileName))
    }

    /// The submission of the plan in `sharedDir`; nil when it was never submitted (`--dry-run`).
    public static func load(in sharedDir: URL) throws -> Submission? {
        let url = sharedDir.appending(path: fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do { return try TaskPlan.decoder.decode(Submission.self, from: try Data(contentsOf: url)) } catch {
            throw HarnessError("\(url.path): not a submission record (\(TaskPlan.describe(error)))")
        }
    }
}

public enum Collector {
    /// What one collect did with each task.
    public enum TaskOutcome: Sendable, Equatable {
        case recordedSucceeded
        case recordedFailed(state: String)
        /// Recorded by an earlier collect, nothing new.
        case alreadyCollected
        /// Pending or running, or (never submitted) not run yet.
        case notFinished(state: String)
    }

    public struct Summary: Sendable {
        public var outcomes: [(task: PlanTask, outcome: TaskOutcome)] = []
        public func count(_ matching: (TaskOutcome) -> Bool) -> Int { outcomes.filter { matching($0.outcome) }.count }
        public var recorded: Int { count { if case .recordedSucceeded = $0 { return true }; if case .recordedFailed = $0 { return true }; return false } }
        public var notFinished: Int { count { if case .notFinished = $0 { return true }; return false } }
    }

    /// Lines of a failed task's log kept in its run's message.
    public static let logTailLines = 20

    /// Imports every finished task of `plan` into `registry`.
    /// - Parameters:
    ///   - submission: the array's job id; nil when never submitted (then only tasks with a result are collected).
    ///   - live: tasks squeue still lists (not collected now).
    ///   - final: last known Slurm states (sacct or scontrol), for node, state and exit code.
    ///   - offline: Slurm was not asked (`collect --offline`): a task without a result may still be running, so it waits.
    /// - Throws: ``RegistryError`` when the registry cannot be written, ``HarnessError`` for an unreadable attempt record.
    public static func collect(plan: TaskPlan, registry: Registry, submission: Submission?, live: [Int: SlurmTaskState],
                               final: [Int: SlurmTaskState], offline: Bool = false, now: Date = Date()) throws -> Summary {
        var summary = Summary()
        for task in plan.tasks {
            summary.outcomes.append((task, try collect(task, plan: plan, registry: registry, submission: submission,
                                                       live: live[task.index], final: final[task.index], offline: offline, now: now)))
        }
        return summary
    }

    static func collect(_ task: PlanTask, plan: TaskPlan, registry: Registry, submission: Submission?, live: SlurmTaskState?,
                        final: SlurmTaskState?, offline: Bool, now: Date) throws -> TaskOutcome {
        let existing = try registry.collectedRun(batch: plan.batch, arrayTaskId: task.index)
        if existing?.status == .succeeded { return .alreadyCollected }
        if let live, !live.isTerminal { return .notFinished(state: live.state) }
        let attempt = try TaskAttempt.load(for: task)
        let result: TaskResult?
        var resultError: String?
        do { result = try TaskResult.load(for: task) } catch {
            result = nil
            resultError = "\(error)"
        }
        var run = Run(entryName: task.entry, mode: task.mode.rawValue, seed: task.seed, status: .succeeded, startedAt: attempt?.startedAt ?? plan.createdAt)
        run.pid = nil
        run.host = attempt?.node ?? attempt?.host ?? final?.node
        run.batch = plan.batch
        run.configHash = task.configHash
        run.codeVersion = attempt?.codeVersion ?? plan.codeVersion
        run.workDir = task.workDir
        run.executor = "slurm"
        run.jobId = submission?.jobId ?? attempt?.arrayJobId
        run.arrayTaskId = task.index
        run.node = attempt?.node ?? final?.node
        run.finishedAt = attempt?.finishedAt ?? now

        if let result {
            run.slurmState = final?.state ?? "COMPLETED"
            run.threads = result.threads
            run.cpu = result.machine.cpu
            run.arithmetic = result.machine.arithmetic
            run.kernel = result.machine.kernel
            run.weightsSHA256 = result.weightsSHA256
            run.checkpointSHA256 = result.checkpointSHA256
            run.wallSeconds = result.wallSeconds
            (run.gpus, run.perGPUBatch) = (result.gpus, result.perGPUBatch)
            _ = try registry.recordCollectedRun(run, scores: result.metrics, epochMetrics: epochMetrics(result.history ?? []))
            return .recordedSucceeded
        }
        if offline { return .notFinished(state: submission == nil ? "not submitted" : "no result yet; Slurm not asked (--offline)") }
        // No result: finished only when Slurm says so, or when the array was submitted and squeue no longer lists the task.
        let state: String
        if let final, final.isTerminal {
            state = final.state
        } else if submission != nil && live == nil && final == nil {
            state = "UNKNOWN"
        } else {
            return .notFinished(state: live?.state ?? final?.state ?? (submission == nil ? "not submitted" : "PENDING"))
        }
        run.status = .failed
        run.slurmState = state
        var parts = ["slurm state \(state)\(final?.exitCode.map { " (exit \($0))" } ?? "")"]
        if state == "UNKNOWN" { parts[0] += ": squeue no longer lists the task and neither sacct nor scontrol knows it" }
        if let resultError { parts.append(resultError) }
        if let message = attempt?.message { parts.append(message) }
        if let tail = logTail(task, plan: plan, jobId: run.jobId) { parts.append("log \(tail.path) ends:\n\(tail.text)") }
        run.message = parts.joined(separator: "; ")
        if let existing, existing.status == .failed, existing.slurmState == run.slurmState, existing.message == run.message {
            return .alreadyCollected
        }
        _ = try registry.recordCollectedRun(run, scores: [:])
        return .recordedFailed(state: state)
    }

    /// The last ``logTailLines`` lines of the task's Slurm log (`logs/<job>_<index>.out`), if it is there.
    static func logTail(_ task: PlanTask, plan: TaskPlan, jobId: String?) -> (path: String, text: String)? {
        guard let jobId else { return nil }
        let url = plan.logsURL.appending(path: "\(jobId)_\(task.index).out")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (url.path, lines.suffix(logTailLines + 1).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A training history as registry rows (loss, lr, train top-1 and the validation metrics per epoch); `runId` is set on insert.
    public static func epochMetrics(_ history: [EpochSummary], runId: Int64 = 0) -> [EpochMetric] {
        var metrics: [EpochMetric] = []
        for summary in history {
            metrics.append(EpochMetric(runId: runId, epoch: summary.epoch, metric: "loss", value: summary.loss))
            metrics.append(EpochMetric(runId: runId, epoch: summary.epoch, metric: "lr", value: summary.learningRate))
            metrics.append(EpochMetric(runId: runId, epoch: summary.epoch, metric: "train_top1_acc", value: summary.trainTop1))
            for (name, value) in (summary.validation ?? [:]).sorted(by: { $0.key < $1.key }) {
                metrics.append(EpochMetric(runId: runId, epoch: summary.epoch, metric: "val_\(name)", value: value))
            }
        }
        return metrics
    }
}
