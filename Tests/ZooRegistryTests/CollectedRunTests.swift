import Foundation
import GRDB
import Testing
import ZooConfig
import ZooTestSupport
@testable import ZooRegistry

/// Runs imported by `collect` (migration v7-run-executor): one record per (batch, array task).
@Suite struct CollectedRunTests {
    static func run(task: Int, status: Run.Status, batch: String = "b1") -> Run {
        var run = Run(entryName: "a", mode: "train", seed: task, status: status)
        run.batch = batch
        run.executor = "slurm"
        run.jobId = "812"
        run.arrayTaskId = task
        run.node = "n1"
        run.slurmState = status == .succeeded ? "COMPLETED" : "TIMEOUT"
        return run
    }

    @Test func aCollectedRunIsFoundByBatchAndArrayTaskAndReplacedInPlace() throws {
        // Given a registry with entry a and a failed task 0 of batch b1
        let registry = try Registry.inMemory()
        try registry.importZoo([RegistryTests.zoo(RegistryTests.model("a", top1: "50.00"))])
        let failed = try registry.recordCollectedRun(Self.run(task: 0, status: .failed), scores: [:])
        #expect(try registry.collectedRun(batch: "b1", arrayTaskId: 0)?.slurmState == "TIMEOUT")
        #expect(try registry.collectedRun(batch: "b2", arrayTaskId: 0) == nil)
        // When the same task is recorded again, succeeded, with scores and epoch metrics
        let succeeded = try registry.recordCollectedRun(Self.run(task: 0, status: .succeeded), scores: ["top1_acc": 0.5],
                                                        epochMetrics: [EpochMetric(runId: 0, epoch: 1, metric: "loss", value: 1.5)])
        // Then it is the same record, now succeeded, and nothing else was added
        #expect(succeeded.id == failed.id)
        #expect(try registry.allRuns().map(\.status) == [.succeeded])
        #expect(try registry.scores(ofRun: failed.id!).map(\.value) == [0.5])
        #expect(try registry.epochMetrics(ofRun: failed.id!).map(\.value) == [1.5])
    }

    @Test func theSchemaRefusesTwoRecordsOfOneArrayTask() throws {
        let registry = try Registry.inMemory()
        try registry.importZoo([RegistryTests.zoo(RegistryTests.model("a", top1: "50.00"))])
        _ = try registry.startRun(Self.run(task: 3, status: .failed))
        #expect(throws: (any Error).self) { try registry.startRun(Self.run(task: 3, status: .failed)) }
        // Local runs (no array task) are not constrained.
        _ = try registry.startRun(Run(entryName: "a", mode: "train", seed: 0))
        _ = try registry.startRun(Run(entryName: "a", mode: "train", seed: 0))
        #expect(try registry.allRuns().count == 3)
    }
}
