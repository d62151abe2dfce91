// `skelzoo run-task PLAN INDEX`: one task of a plan, as a pure function of what the plan holds (entry, mode, seed,
// config text, prepared data and checkpoint). It writes the task's work dir, `task.json` and `result.json`, and never
// opens the registry (SQLite must not be shared over a network file system; `collect` imports the results).
//
// A task run again (a Slurm requeue after preemption, a time limit or a node failure) resumes from the work dir's
// latest.pth, which the trainer writes at every epoch's end and, when signalled (USR1 from the batch script before the
// time limit, TERM on preemption), at the next iteration boundary; resumed training gives the same bits. A task whose
// result.json is already there and matches is not run again.
import Foundation
import ZooConfig
import ZooIO
import ZooPose
import ZooRunner
import ZooSTGCN
import ZooTensor
import ZooTorch

public enum TaskRunner {
    /// What ``run(plan:index:threads:codeVersion:environment:train:)`` did.
    public enum Outcome: Sendable {
        case ran(TaskResult)
        /// The work dir already held this task's result (a requeued task that had finished).
        case alreadyDone(TaskResult)
    }

    /// Trains or evaluates task `index` of the plan at `planURL`.
    /// - Parameters:
    ///   - threads: worker threads (default: the plan's); results do not depend on it.
    ///   - environment: where Slurm's variables are read from (SLURM_ARRAY_JOB_ID, SLURM_JOB_ID, SLURMD_NODENAME, SLURM_RESTART_COUNT).
    ///   - stopOnSignals: install SIGUSR1/SIGTERM handlers (``StopSignals``) so that a signalled retrain writes latest.pth at
    ///     its next iteration boundary and stops; run again, it resumes there with the same bits (`run-task` on Slurm).
    ///   - train: runs the trainer (the CLI passes one that prints progress).
    /// - Throws: ``HarnessError`` for a bad plan, index or missing prepared file; the trainer's ``RunnerError``s. A failure
    ///   after the task started is also written to its `task.json`.
    public static func run(plan planURL: URL, index: Int, threads: Int? = nil, codeVersion: String,
                           environment: [String: String] = ProcessInfo.processInfo.environment, stopOnSignals: Bool = false,
                           train: (TrainingSetup, [PoseSample], [PoseSample]) throws -> TrainingResult = { setup, train, val in
                               try Trainer(setup, train: train, val: val).run()
                           }) throws -> Outcome {
        let plan = try TaskPlan.load(planURL)
        let task = try plan.task(index, plan: planURL)
        do { try Arithmetic.select(backend: plan.backend, isa: plan.isa) } catch {
            throw HarnessError("\(planURL.path): fields 'backend'/'isa' (\(plan.backend ?? "default")/\(plan.isa ?? "auto")): \(error)",
                               hint: "run the task on a node whose CPU has that ISA, or write the plan with --isa auto")
        }
        if let done = try TaskResult.load(for: task) { return .alreadyDone(done) }
        let config: ExperimentConfig
        do { config = try ExperimentConfig.parse(task.configText, file: "\(planURL.path): tasks[\(index)].config_text") } catch {
            throw HarnessError("\(error)")
        }
        for (field, path) in [("train_annotations", task.trainAnnotations), ("val_annotations", task.valAnnotations), ("checkpoint", task.checkpoint)] {
            guard let path else { continue }
            guard FileManager.default.fileExists(atPath: path) else {
                throw HarnessError("\(planURL.path): tasks[\(index)].\(field) \(path) does not exist on \(ProcessInfo.processInfo.hostName)",
                                   hint: "the shared dir must be the same path on every node (a network file system); reproduce prepares it before submitting")
            }
        }

        var attempt = try TaskAttempt.load(for: task).map { $0.index == index ? $0 : nil } ?? nil
        attempt = TaskAttempt(index: index, status: .running, attempts: (attempt?.attempts ?? 0) + 1, startedAt: Date(), finishedAt: nil,
                              host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier), codeVersion: codeVersion,
                              arrayJobId: environment["SLURM_ARRAY_JOB_ID"], jobId: environment["SLURM_JOB_ID"],
                              node: environment["SLURMD_NODENAME"], restartCount: environment["SLURM_RESTART_COUNT"].flatMap { Int($0) }, message: nil)
        guard var attempt else { preconditionFailure("set above") }
        try Folder.create(task.workURL)
        try attempt.write(for: task)
        do {
            let result = task.mode == .eval ? try evaluate(task, config: config, threads: threads ?? plan.threads)
                : try retrain(task, config: config, threads: threads ?? plan.threads, stop: stopOnSignals ? installedStopSignals() : nil, train: train)
            attempt.status = .succeeded
            attempt.finishedAt = Date()
            try attempt.write(for: task)
            return .ran(result)
        } catch {
            attempt.status = .failed
            attempt.finishedAt = Date()
            attempt.message = (error as? RunnerError).map { $0.message + ($0.hint.map { "; hint: \($0)" } ?? "") } ?? "\(error)"
            try? attempt.write(for: task)  // the task's own error is what is reported; the log holds it too
            throw error
        }
    }

    /// The process-wide stop request, with its signal handlers installed.
    static func installedStopSignals() -> StopRequest {
        StopSignals.install()
        return StopSignals.request
    }

    static func retrain(_ task: PlanTask, config: ExperimentConfig, threads: Int, stop: StopRequest? = nil,
                        train: (TrainingSetup, [PoseSample], [PoseSample]) throws -> TrainingResult) throws -> TaskResult {
        guard let trainPath = task.trainAnnotations, let seed = task.seed else { preconditionFailure("TaskPlan.load checks train tasks") }
        let trainSamples = try AnnotationFile.load(URL(fileURLWithPath: trainPath)).samples
        let valSamples = try AnnotationFile.load(URL(fileURLWithPath: task.valAnnotations)).samples
        // resume: a requeued task continues from latest.pth; a first attempt starts fresh (no latest.pth yet).
        var setup = TrainingSetup(config: config, configHash: task.configHash, configName: task.configName, seed: UInt64(seed), threads: threads,
                                  workDirectory: task.workURL, resume: true, trainSource: trainPath, valSource: task.valAnnotations,
                                  gpus: task.gpus ?? 1)
        setup.stopRequest = stop
        let result = try train(setup, trainSamples, valSamples)
        var taskResult = TaskResult(seed: result.seed, metrics: result.metrics, weightsSHA256: result.weightsSHA256, checkpointSHA256: nil,
                                    configHash: result.configHash, history: result.history, threads: result.threads, machine: result.machine,
                                    wallSeconds: result.wallSeconds)
        (taskResult.gpus, taskResult.perGPUBatch) = (result.gpus, result.perGPUBatch)
        return taskResult
    }

    static func evaluate(_ task: PlanTask, config: ExperimentConfig, threads: Int) throws -> TaskResult {
        guard let path = task.checkpoint else { preconditionFailure("TaskPlan.load checks eval tasks") }
        let started = Date()
        let checkpoint = URL(fileURLWithPath: path)
        let sha = try Hashing.sha256(of: checkpoint)
        if let expected = task.checkpointSHA256, sha != expected {
            throw HarnessError("\(path) has sha256 \(sha.prefix(12))…, the plan recorded \(expected.prefix(12))… when it copied it",
                               hint: "the shared copy changed; run reproduce again to prepare a fresh one")
        }
        var model = try ModelLoader.model(config, checkpoint: checkpoint)
        let samples = try AnnotationFile.load(URL(fileURLWithPath: task.valAnnotations)).samples
        let evaluation = try CheckpointTest.evaluate(&model, config: config, samples: samples, batchSize: task.batchSize, threads: threads,
                                                     source: task.valAnnotations)
        let result = TaskResult(seed: nil, metrics: Dictionary(uniqueKeysWithValues: evaluation.metrics), weightsSHA256: nil, checkpointSHA256: sha,
                                configHash: task.configHash, history: nil, threads: threads, machine: .current,
                                wallSeconds: Date().timeIntervalSince(started))
        try AtomicFile.write(try TaskPlan.encoder.encode(result), to: task.workURL.appending(path: TaskResult.fileName))
        return result
    }
}
