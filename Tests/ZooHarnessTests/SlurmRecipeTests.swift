import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooPose
import ZooRunner
import ZooTestSupport

/// Slurm retrains follow the published recipe too: the plan carries each task's GPU count and run-task trains on it.
@Suite(.serialized) struct SlurmRecipeTests {
    static func plan(gpus: Int?, in dir: URL) throws -> (plan: TaskPlan, url: URL) {
        let shared = dir.appending(path: "shared")
        let request = PlanBuilder.Request(entry: try HarnessFixtures.entry(), mode: .train, configText: HarnessFixtures.configText,
                                          configOrigin: "tiny.yml", seeds: [0], gpus: gpus)
        let (plan, _) = try PlanBuilder.prepare([request], sharedDir: shared,
                                                sources: .init(dataRoot: dir.appending(path: "home"), checkpoints: dir.appending(path: "home/checkpoints")),
                                                batch: UUID().uuidString, threads: 1, backend: nil, isa: nil, codeVersion: "test")
        let url = TaskPlan.url(in: shared)
        try plan.write(to: url)
        return (plan, url)
    }

    @Test func aPlanDefaultsToThePublishedGPUCountAndKeepsAGivenOne() throws {
        // The tiny entry publishes no GPU count: 1.
        #expect(try Self.plan(gpus: nil, in: Fixtures.temporaryDirectory("plan-gpus")).plan.tasks.map(\.gpus) == [1])
        let (plan, url) = try Self.plan(gpus: 2, in: Fixtures.temporaryDirectory("plan-gpus2"))
        #expect(plan.tasks.map(\.gpus) == [2])
        #expect(try TaskPlan.load(url).tasks.map(\.gpus) == [2])
    }

    @Test func runTaskTrainsOnThePlansGPUsWithADirectRunsBits() throws {
        let (plan, url) = try Self.plan(gpus: 2, in: Fixtures.temporaryDirectory("task-gpus"))
        guard case .ran(let result) = try TaskRunner.run(plan: url, index: 0, threads: 2, codeVersion: "v-test") else {
            Issue.record("expected a run"); return
        }
        #expect(result.gpus == 2)
        let task = plan.tasks[0]
        let config = try ExperimentConfig.parse(HarnessFixtures.configText, file: "tiny.yml")
        let direct = try Trainer(TrainingSetup(config: config, configHash: task.configHash, configName: "direct", seed: 0, threads: 1,
                                               workDirectory: Fixtures.temporaryDirectory("direct-gpus"), gpus: 2),
                                 train: try AnnotationFile.load(URL(fileURLWithPath: try #require(task.trainAnnotations))).samples,
                                 val: try AnnotationFile.load(URL(fileURLWithPath: task.valAnnotations)).samples).run()
        #expect(result.weightsSHA256 == direct.weightsSHA256)
        #expect(try TaskResult.load(for: task)?.perGPUBatch == direct.perGPUBatch)
    }
}
