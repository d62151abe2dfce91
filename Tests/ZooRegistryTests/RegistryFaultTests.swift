import Foundation
import GRDB
import Testing
import ZooConfig
import ZooTestSupport
@testable import ZooRegistry

/// Issue 11, scenarios 7, 8 and 9: a run's record under a full disk, a dead process, or a deleted registry.
@Suite struct RegistryFaultTests {
    static func registryWithARunningRun() throws -> (Registry, Run, URL) {
        let home = Fixtures.temporaryDirectory("registry-fault")
        let registry = try Registry.open(home: home)
        try registry.importZoo([RegistryTests.zoo(RegistryTests.model("a", top1: "50.00"))])
        let run = try registry.startRun(Run(entryName: "a", mode: "train", seed: 0))
        return (registry, run, home)
    }

    static func epochMetrics(_ count: Int) -> [EpochMetric] {
        (0..<count).map { EpochMetric(runId: 0, epoch: $0, metric: "loss with a long name to fill pages \($0)", value: Double($0)) }
    }

    // Scenario 7: disk full at the final COMMIT gave a raw SQLite error and left the run "running".
    @Test func aFullDiskAtCommitIsExplainedAndTheRunMarkedFailed() throws {
        // Given a registry that cannot grow (SQLite's page limit stands in for a full disk: the same SQLITE_FULL)
        let (registry, run, _) = try Self.registryWithARunningRun()
        try registry.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        // When the run finishes with more metrics than fit
        var finished = run
        finished.status = .succeeded
        do {
            try registry.finishRun(finished, scores: ["top1_acc": 0.5], epochMetrics: Self.epochMetrics(5_000))
            Issue.record("the commit succeeded")
        } catch let error as RegistryError {
            // Then the error says the disk is full, with a hint, and the run is failed with the reason
            #expect(error.code == .diskFull)
            #expect(error.hint?.contains("free space") == true)
            #expect(error.hint?.contains("is marked failed") == true, "\(error.hint ?? "")")
        }
        let stored = try #require(try registry.runs(for: "a").first)
        #expect(stored.status == .failed)
        #expect(stored.message?.contains("the disk is full") == true)
        #expect(try registry.epochMetrics(ofRun: stored.id ?? 0).isEmpty, "nothing half-written")
    }

    // Scenario 9: deleting the registry during a run lost the record with exit code 0.
    @Test(arguments: ["deleted", "replaced"]) func aRegistryFileDeletedOrReplacedMidRunIsDetected(_ how: String) throws {
        let (registry, run, home) = try Self.registryWithARunningRun()
        let file = home.appending(path: "registry.sqlite")
        try FileManager.default.removeItem(at: file)
        if how == "replaced" { _ = try Registry.open(home: home) }
        var finished = run
        finished.status = .succeeded
        do {
            try registry.finishRun(finished, scores: ["top1_acc": 0.5])
            Issue.record("the record went to a file that is gone")
        } catch let error as RegistryError {
            #expect(error.code == .fileReplaced)
            #expect(error.message.hasPrefix("\(file.path) was deleted or replaced"))
        }
    }

    // Scenario 8: `show` listed a dead process's run as running forever.
    @Test func aRunWhoseProcessIsGoneShowsAsCrashed() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        var run = Run(entryName: "a", mode: "train", seed: 0)
        #expect(run.displayStatus == "running")
        run.pid = Int(process.processIdentifier)
        #expect(run.displayStatus.hasPrefix("crashed (its process \(process.processIdentifier) is gone"))
    }

    // Section 2: a data file without a zoo hash keeps the sha256 of its first download.
    @Test func theFirstRecordedHashOfADataFileIsKept() throws {
        let registry = try Registry.inMemory()
        try registry.recordDataFile(DataFile(path: "/h/data/x.pkl", entryName: "a", url: "https://h/x.pkl", sha256: "first", byteCount: 3))
        try registry.recordDataFile(DataFile(path: "/h/data/x.pkl", entryName: "a", url: "https://h/x.pkl", sha256: "second", byteCount: 4))
        #expect(try registry.dataFile(atPath: "/h/data/x.pkl")?.sha256 == "first")
        #expect(try registry.dataFile(atPath: "/h/data/y.pkl") == nil)
    }
}
