import Foundation
import Testing
import ZooHarness
import ZooIO
import ZooRegistry
import ZooRunner
import ZooTestSupport

@Suite(.serialized) struct EvalTaskTests {
    @Test func anEvalTaskScoresTheCopiedCheckpointAsTrainingValidatedItAndCollectRecordsItsHash() throws {
        // Given weights from a tiny training task, cached as an entry's released checkpoint.
        let dir = Fixtures.temporaryDirectory("eval-task")
        let (trainPlan, trainURL) = try HarnessFixtures.plan(seeds: [0], in: dir.appending(path: "train"))
        guard case .ran(let trained) = try TaskRunner.run(plan: trainURL, index: 0, codeVersion: "v-test", environment: [:]) else {
            Issue.record("expected a run"); return
        }
        let cache = dir.appending(path: "home/checkpoints")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: trainPlan.tasks[0].workURL.appending(path: "epoch_2.pth"), to: cache.appending(path: "tiny-0123abcd.pth"))
        let entry = try HarnessFixtures.entry(weights: "https://example.invalid/tiny-0123abcd.pth")
        let request = PlanBuilder.Request(entry: entry, mode: "eval", configText: HarnessFixtures.configText, configOrigin: "tiny.yml", seeds: [])
        let shared = dir.appending(path: "shared")
        // When the plan is prepared (checkpoint and val annotations copied into the shared dir) and its task runs
        let (plan, skipped) = try PlanBuilder.prepare([request], sharedDir: shared,
                                                      sources: .init(dataRoot: trainPlan.sharedURL.appending(path: "data"), checkpoints: cache),
                                                      batch: "eval-batch", threads: 1, backend: nil, isa: nil, codeVersion: "test")
        #expect(skipped.isEmpty)
        let task = try #require(plan.tasks.first)
        #expect(task.checkpoint == shared.appending(path: "checkpoints/tiny-0123abcd.pth").path)
        #expect(task.checkpointSHA256 == (try Hashing.sha256(of: cache.appending(path: "tiny-0123abcd.pth"))))
        let url = TaskPlan.url(in: shared)
        try plan.write(to: url)
        guard case .ran(let evaluated) = try TaskRunner.run(plan: url, index: 0, threads: 2, codeVersion: "v-test", environment: [:]) else {
            Issue.record("expected a run"); return
        }
        // Then its scores are the final validation's (eval results do not depend on batching or threads)
        #expect(evaluated.metrics == trained.metrics)
        #expect(evaluated.checkpointSHA256 == task.checkpointSHA256)
        // And collect records the eval run with the checkpoint hash
        let registry = try Registry.inMemory()
        try registry.importZoo([try HarnessFixtures.zooFile(weights: "https://example.invalid/tiny-0123abcd.pth")])
        let summary = try Collector.collect(plan: plan, registry: registry, submission: Submission(jobId: "5", script: "s"), live: [:],
                                            final: [0: .init(index: 0, state: "COMPLETED", node: "n1")])
        #expect(summary.outcomes.map(\.outcome) == [.recordedSucceeded])
        let run = try #require(try registry.allRuns().first)
        #expect(run.mode == "eval" && run.seed == nil && run.checkpointSHA256 == task.checkpointSHA256)
    }

    @Test func aChangedSharedCheckpointIsRefusedByTheTask() throws {
        let dir = Fixtures.temporaryDirectory("eval-changed")
        let (trainPlan, _) = try HarnessFixtures.plan(seeds: [0], in: dir.appending(path: "train"))
        let cache = dir.appending(path: "checkpoints")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data("not a checkpoint".utf8).write(to: cache.appending(path: "tiny-0123abcd.pth"))
        let request = PlanBuilder.Request(entry: try HarnessFixtures.entry(weights: "https://example.invalid/tiny-0123abcd.pth"), mode: "eval",
                                          configText: HarnessFixtures.configText, configOrigin: "tiny.yml", seeds: [])
        let shared = dir.appending(path: "shared")
        let (plan, _) = try PlanBuilder.prepare([request], sharedDir: shared,
                                                sources: .init(dataRoot: trainPlan.sharedURL.appending(path: "data"), checkpoints: cache),
                                                batch: "b", threads: 1, backend: nil, isa: nil, codeVersion: "test")
        try plan.write(to: TaskPlan.url(in: shared))
        try Data("changed on the shared file system".utf8).write(to: URL(fileURLWithPath: plan.tasks[0].checkpoint!))
        let error = #expect(throws: HarnessError.self) { try TaskRunner.run(plan: TaskPlan.url(in: shared), index: 0, codeVersion: "v-test", environment: [:]) }
        #expect(error?.message.contains("the plan recorded") == true, "\(error?.message ?? "")")
        #expect(try TaskAttempt.load(for: plan.tasks[0])?.status == .failed)
    }
}
