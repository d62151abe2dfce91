import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooPose
import ZooRunner
import ZooTestSupport

@Suite(.serialized) struct TaskRunnerTests {
    @Test func aTaskGivesTheBitsOfADirectTrainingRunAndIsNotRunTwice() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [0, 1])
        let task = plan.tasks[1]
        let outcome = try TaskRunner.run(plan: url, index: 1, threads: 1, codeVersion: "v-test",
                                         environment: ["SLURM_ARRAY_JOB_ID": "77", "SLURM_JOB_ID": "79", "SLURMD_NODENAME": "n9", "SLURM_RESTART_COUNT": "0"])
        guard case .ran(let result) = outcome else { Issue.record("expected a run"); return }
        // The same config, seed and data trained directly, with another thread count.
        let config = try ExperimentConfig.parse(HarnessFixtures.configText, file: "tiny.yml")
        let direct = try Trainer(TrainingSetup(config: config, configHash: task.configHash, configName: "direct", seed: 1, threads: 2,
                                               workDirectory: Fixtures.temporaryDirectory("direct")),
                                 train: try AnnotationFile.load(URL(fileURLWithPath: task.trainAnnotations!)).samples,
                                 val: try AnnotationFile.load(URL(fileURLWithPath: task.valAnnotations)).samples).run()
        #expect(result.weightsSHA256 == direct.weightsSHA256)
        #expect(result.metrics == direct.metrics)
        let attempt = try #require(try TaskAttempt.load(for: task))
        #expect(attempt.status == .succeeded && attempt.attempts == 1 && attempt.node == "n9" && attempt.arrayJobId == "77" && attempt.codeVersion == "v-test")
        #expect(try TaskResult.load(for: task)?.weightsSHA256 == direct.weightsSHA256)
        // Run again (a requeue after it finished): nothing is trained.
        guard case .alreadyDone(let again) = try TaskRunner.run(plan: url, index: 1, codeVersion: "v-test") else {
            Issue.record("expected alreadyDone"); return
        }
        #expect(again.weightsSHA256 == direct.weightsSHA256)
    }

    @Test func aRequeuedTaskResumesFromLatestWithTheSameBits() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [2])
        let task = plan.tasks[0]
        guard case .ran(let straight) = try TaskRunner.run(plan: url, index: 0, codeVersion: "v-test", environment: [:]) else {
            Issue.record("expected a run"); return
        }
        // As if stopped during epoch 2 and requeued: latest.pth holds epoch 1 and there is no result yet.
        let work = task.workURL
        try FileManager.default.removeItem(at: work.appending(path: "result.json"))
        try FileManager.default.removeItem(at: work.appending(path: "latest.pth"))
        try FileManager.default.copyItem(at: work.appending(path: "epoch_1.pth"), to: work.appending(path: "latest.pth"))
        guard case .ran(let resumed) = try TaskRunner.run(plan: url, index: 0, threads: 2, codeVersion: "v-test",
                                                          environment: ["SLURM_RESTART_COUNT": "1"]) else {
            Issue.record("expected a run"); return
        }
        #expect(resumed.weightsSHA256 == straight.weightsSHA256)
        #expect(resumed.history == straight.history)
        let attempt = try #require(try TaskAttempt.load(for: task))
        #expect(attempt.attempts == 2 && attempt.restartCount == 1)
    }

    @Test func aMissingPreparedFileIsAnErrorNamingThePlanField() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [0])
        try FileManager.default.removeItem(atPath: plan.tasks[0].valAnnotations)
        let error = #expect(throws: HarnessError.self) { try TaskRunner.run(plan: url, index: 0, codeVersion: "v-test") }
        #expect(error?.message.hasPrefix("\(url.path): tasks[0].val_annotations \(plan.tasks[0].valAnnotations) does not exist on ") == true)
    }
}
