import Foundation
import Testing
import ZooHarness
import ZooIO
import ZooRegistry
import ZooRunner
import ZooTestSupport

/// Collect with fabricated result files, task records, logs and Slurm states (no Slurm, no training).
@Suite struct CollectorTests {
    /// Given a plan of `seeds` train tasks, an in-memory registry that knows the entry, and a submission as job 812.
    static func given(seeds: [Int] = [0, 1, 2, 3]) throws -> (plan: TaskPlan, registry: Registry, submission: Submission) {
        let (plan, _) = try HarnessFixtures.plan(seeds: seeds)
        let registry = try Registry.inMemory()
        try registry.importZoo([try HarnessFixtures.zooFile()])
        let submission = Submission(jobId: "812", script: plan.sharedURL.appending(path: SlurmScript.fileName).path)
        try submission.write(in: plan.sharedURL)
        return (plan, registry, submission)
    }

    /// A result.json as the trainer writes it, with two epochs of history.
    static func fabricateResult(_ task: PlanTask, weights: String, top1: Double = 0.5) throws {
        let result: [String: Any] = [
            "seed": task.seed ?? 0, "epochs": 2, "iterations": 12, "metrics": ["top1_acc": top1, "top5_acc": 1.0],
            "weights_sha256": weights, "config_hash": task.configHash, "threads": 2, "wall_seconds": 12.5,
            "machine": ["cpu": "Test CPU", "arithmetic": "portable-1", "kernel": "avx2", "cores": 2],
            "history": [["epoch": 1, "lr": 0.03, "loss": 1.2, "train_top1_acc": 0.3, "validation": ["top1_acc": 0.4]] as [String: Any],
                        ["epoch": 2, "lr": 0.03, "loss": 0.9, "train_top1_acc": 0.45]],
        ]
        try FileManager.default.createDirectory(at: task.workURL, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: result).write(to: task.workURL.appending(path: "result.json"))
    }

    static func fabricateAttempt(_ task: PlanTask, status: String, node: String, message: String? = nil) throws {
        var record: [String: Any] = ["index": task.index, "status": status, "attempts": 1, "started_at": "2026-11-27T05:00:00Z",
                                     "host": node, "pid": 99, "code_version": "v-test", "array_job_id": "812", "job_id": "\(900 + task.index)",
                                     "node": node, "restart_count": 0]
        if let message { record["message"] = message }
        try FileManager.default.createDirectory(at: task.workURL, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: record).write(to: task.workURL.appending(path: "task.json"))
    }

    @Test func finishedTasksAreRecordedWithSlurmProvenanceAndUnfinishedOnesWait() throws {
        // Given: task 0 succeeded, 1 timed out (with a log), 2 is still running, 3 was cancelled while pending.
        let (plan, registry, submission) = try Self.given()
        try Self.fabricateResult(plan.tasks[0], weights: String(repeating: "a", count: 64))
        try Self.fabricateAttempt(plan.tasks[0], status: "succeeded", node: "n1")
        try Self.fabricateAttempt(plan.tasks[1], status: "running", node: "n2")
        try Folder.create(plan.logsURL)
        let log = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\nslurmstepd: error: *** JOB 901 CANCELLED DUE TO TIME LIMIT ***\n"
        try Data(log.utf8).write(to: plan.logsURL.appending(path: "812_1.out"))
        let live: [Int: SlurmTaskState] = [2: .init(index: 2, state: "RUNNING", node: "n1")]
        let final: [Int: SlurmTaskState] = [0: .init(index: 0, state: "COMPLETED", node: "n1", exitCode: "0:0"),
                                            1: .init(index: 1, state: "TIMEOUT", node: "n2", exitCode: "0:15"),
                                            2: .init(index: 2, state: "RUNNING", node: "n1"),
                                            3: .init(index: 3, state: "CANCELLED", exitCode: "0:0")]

        // When
        let summary = try Collector.collect(plan: plan, registry: registry, submission: submission, live: live, final: final)

        // Then
        #expect(summary.outcomes.map(\.outcome) == [.recordedSucceeded, .recordedFailed(state: "TIMEOUT"), .notFinished(state: "RUNNING"),
                                                    .recordedFailed(state: "CANCELLED")])
        let runs = try registry.runs(for: "tiny_demo").sorted { ($0.arrayTaskId ?? -1) < ($1.arrayTaskId ?? -1) }
        #expect(runs.map(\.arrayTaskId) == [0, 1, 3])
        let succeeded = runs[0]
        #expect(succeeded.status == .succeeded && succeeded.seed == 0 && succeeded.batch == plan.batch)
        #expect(succeeded.executor == "slurm" && succeeded.jobId == "812" && succeeded.node == "n1" && succeeded.slurmState == "COMPLETED")
        #expect(succeeded.weightsSHA256 == String(repeating: "a", count: 64) && succeeded.arithmetic == "portable-1" && succeeded.codeVersion == "v-test")
        #expect(try registry.scores(ofRun: succeeded.id!).map(\.metric) == ["top1_acc", "top5_acc"])
        #expect(try registry.epochMetrics(ofRun: succeeded.id!).filter { $0.metric == "loss" }.map(\.value) == [1.2, 0.9])
        let timedOut = runs[1]
        #expect(timedOut.status == .failed && timedOut.slurmState == "TIMEOUT" && timedOut.node == "n2")
        let message = try #require(timedOut.message)
        #expect(message.hasPrefix("slurm state TIMEOUT (exit 0:15)"))
        #expect(message.contains("CANCELLED DUE TO TIME LIMIT") && message.contains("line 30") && !message.contains("line 9\n"), "\(message)")
        #expect(runs[2].status == .failed && runs[2].slurmState == "CANCELLED")
    }

    @Test func collectingTwiceRecordsNothingNew() throws {
        let (plan, registry, submission) = try Self.given(seeds: [0, 1])
        try Self.fabricateResult(plan.tasks[0], weights: String(repeating: "b", count: 64))
        let final: [Int: SlurmTaskState] = [0: .init(index: 0, state: "COMPLETED"), 1: .init(index: 1, state: "FAILED", exitCode: "1:0")]
        let first = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:], final: final)
        #expect(first.recorded == 2)
        let before = try registry.allRuns()
        let second = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:], final: final)
        #expect(second.outcomes.map(\.outcome) == [.alreadyCollected, .alreadyCollected])
        let after = try registry.allRuns()
        #expect(after.map(\.id) == before.map(\.id) && after.map(\.message) == before.map(\.message))
    }

    @Test func aFailedTaskThatLaterSucceedsReplacesItsFailedRecord() throws {
        let (plan, registry, submission) = try Self.given(seeds: [0])
        let failed = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:],
                                           final: [0: .init(index: 0, state: "NODE_FAIL")])
        #expect(failed.outcomes.map(\.outcome) == [.recordedFailed(state: "NODE_FAIL")])
        let id = try #require(try registry.collectedRun(batch: plan.batch, arrayTaskId: 0)?.id)
        // Requeued by hand, it finished.
        try Self.fabricateResult(plan.tasks[0], weights: String(repeating: "c", count: 64))
        let again = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:],
                                          final: [0: .init(index: 0, state: "COMPLETED")])
        #expect(again.outcomes.map(\.outcome) == [.recordedSucceeded])
        let runs = try registry.runs(for: "tiny_demo")
        #expect(runs.count == 1 && runs[0].id == id && runs[0].status == .succeeded && runs[0].slurmState == "COMPLETED")
    }

    @Test func aTaskSqueueForgotWithoutAnyStateIsFailedUnknownButNeverSubmittedMeansNotRun() throws {
        let (plan, registry, submission) = try Self.given(seeds: [0])
        let dry = try Collector.collect(plan: plan, registry: registry, submission: nil, live: [:], final: [:])
        #expect(dry.outcomes.map(\.outcome) == [.notFinished(state: "not submitted")])
        #expect(try registry.allRuns().isEmpty)
        let gone = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:], final: [:])
        #expect(gone.outcomes.map(\.outcome) == [.recordedFailed(state: "UNKNOWN")])
    }

    @Test func aResultFromAnotherConfigIsRecordedFailedNamingTheFile() throws {
        let (plan, registry, submission) = try Self.given(seeds: [0])
        var other = plan.tasks[0]
        other.configHash = String(repeating: "f", count: 64)
        try Self.fabricateResult(other, weights: String(repeating: "d", count: 64))
        let summary = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:],
                                            final: [0: .init(index: 0, state: "COMPLETED")])
        #expect(summary.outcomes.map(\.outcome) == [.recordedFailed(state: "COMPLETED")])
        let message = try #require(try registry.allRuns().first?.message)
        #expect(message.contains("\(plan.tasks[0].workDir)/result.json: field 'config_hash' is ffffffffffff…"), "\(message)")
    }
}

extension CollectorTests {
    @Test func offlineATaskWithoutAResultWaitsEvenWhenSubmitted() throws {
        let (plan, registry, submission) = try Self.given(seeds: [0, 1])
        try Self.fabricateResult(plan.tasks[1], weights: String(repeating: "e", count: 64))
        let summary = try Collector.collect(plan: plan, registry: registry, submission: submission, live: [:], final: [:], offline: true)
        #expect(summary.outcomes.map(\.outcome) == [.notFinished(state: "no result yet; Slurm not asked (--offline)"), .recordedSucceeded])
        #expect(try registry.allRuns().map(\.arrayTaskId) == [1])
    }
}
