import Foundation
import GRDB
import Testing
import ZooConfig
import ZooTestSupport
@testable import ZooRegistry

@Suite struct RegistryTests {
    static func zoo(_ models: String) throws -> ZooFile {
        try ZooFile.parse("Collections: [{Name: S}]\nModels:\n\(models)", file: "t.yml", name: "t.yml")
    }

    static func model(_ name: String, top1: String) -> String {
        "  - {Name: \(name), Config: c.yml, In Collection: S, Metadata: {Keypoint: 2d}, Weights: 'https://h/\(name)-0123abcd.pth', Weights SHA256 Prefix: 0123abcd, Results: [{Dataset: D, Task: T, Source: src, Metrics: {Top 1 Accuracy: \"\(top1)\"}}]}\n"
    }

    @Test func importingTwiceGivesTheSameRegistry() throws {
        // Given a registry with the built-in zoo imported
        let registry = try Registry.inMemory()
        let files = try ZooSources.load(overrides: []).parse()
        let first = try registry.importZoo(files)
        let snapshot = try registry.entries().map(\.definition)
        // When importing again
        let second = try registry.importZoo(files)
        // Then nothing changes
        #expect(first.added.count == files.flatMap(\.entries).count)
        #expect(second == Registry.ImportSummary(added: [], updated: [], retired: [], unchanged: first.added.count))
        #expect(try registry.entries().map(\.definition) == snapshot)
        #expect(try registry.publishedScores(for: "stgcn_80e_babel120_wfl").map(\.value) == ["33.00", "24.33", "27.91", "26.17"])
    }

    @Test func the1xAndFusionEntriesImportAndReadBack() throws {
        // Given the built-in zoo, with the MMAction2 1.x entries and the fusion entries (no config, no checkpoint)
        let registry = try Registry.inMemory()
        let entries = try ZooSources.load(overrides: []).parse().flatMap(\.entries)
        // When imported
        try registry.importZoo(try ZooSources.load(overrides: []).parse())
        // Then every entry reads back as it was defined (no migration: the definition is the entry's JSON)
        for entry in entries {
            let row = try #require(try registry.entry(named: entry.name))
            #expect(try row.zooEntry() == entry)
        }
        let fusion = try #require(try registry.entry(named: "stgcn_8xb16-four-stream-u100-80e_ntu60-xsub-keypoint-3d")?.zooEntry())
        #expect(fusion.fusion?.components.map(\.weight) == [2, 1, 2, 1])
        #expect(fusion.config == nil)
        #expect(try registry.checkpoint(for: fusion.name) == nil)
        #expect(try registry.checkpoint(for: "stgcnpp_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d")?.sha256Prefix == "86e1e77a")
        #expect(try registry.publishedScores(for: fusion.name).map(\.value) == ["90.39"])
    }

    @Test func anEditInTheYAMLShowsUp() throws {
        let registry = try Registry.inMemory()
        try registry.importZoo([Self.zoo(Self.model("a", top1: "50.00"))])
        let summary = try registry.importZoo([Self.zoo(Self.model("a", top1: "51.25"))])
        #expect(summary.updated == ["a"])
        #expect(try registry.publishedScores(for: "a").map(\.value) == ["51.25"])
    }

    @Test func aRemovedEntryIsRetiredWithItsRunsKept() throws {
        // Given two entries and a recorded run of the second
        let registry = try Registry.inMemory()
        try registry.importZoo([Self.zoo(Self.model("a", top1: "1.00") + Self.model("b", top1: "2.00"))])
        var run = try registry.startRun(Run(entryName: "b", mode: "eval"))
        run.status = .succeeded
        try registry.finishRun(run, scores: ["top1_acc": 0.5])
        // When b disappears from the YAML
        let summary = try registry.importZoo([Self.zoo(Self.model("a", top1: "1.00"))])
        // Then b is retired, not deleted, and its run and score remain
        #expect(summary.retired == ["b"])
        #expect(try registry.entries().map(\.name) == ["a"])
        #expect(try registry.entry(named: "b")?.retired == true)
        #expect(try registry.runs(for: "b").count == 1)
        #expect(try registry.scores(ofRun: try #require(run.id)).map(\.value) == [0.5])
        // And it comes back when restored
        #expect(try registry.importZoo([Self.zoo(Self.model("a", top1: "1.00") + Self.model("b", top1: "2.00"))]).updated == ["b"])
    }

    @Test func aFileThatIsNotSQLiteIsRefusedByName() throws {
        let home = Fixtures.temporaryDirectory()
        try Data("this is not a database, just text that is long enough to fill a header......\n".utf8)
            .write(to: home.appending(path: "registry.sqlite"))
        do {
            _ = try Registry.open(home: home)
            Issue.record("expected an error")
        } catch let error as RegistryError {
            #expect(error.code == .notADatabase)
            #expect(error.message.contains("registry.sqlite"))
        }
    }

    @Test func aRegistryFromANewerSchemaIsRefused() throws {
        let home = Fixtures.temporaryDirectory()
        _ = try Registry.open(home: home)
        let queue = try DatabaseQueue(path: home.appending(path: "registry.sqlite").path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-the-future')") }
        do {
            _ = try Registry.open(home: home)
            Issue.record("expected an error")
        } catch let error as RegistryError {
            #expect(error.code == .newerSchema)
        }
    }

    @Test func anUnwritableHomeIsRefusedByName() throws {
        let parent = Fixtures.temporaryDirectory()
        let blocker = parent.appending(path: "file")
        try Data("x".utf8).write(to: blocker)
        do {
            _ = try Registry.open(home: blocker.appending(path: "home"))
            Issue.record("expected an error")
        } catch let error as RegistryError {
            #expect(error.code == .homeNotWritable)
            #expect(error.message.contains(blocker.path))
        }
    }

    @Test func migratesAFrozenV1DatabaseToHead() throws {
        // Given a registry made by the v1 schema only, holding a run
        let home = Fixtures.temporaryDirectory()
        let file = home.appending(path: "registry.sqlite").path
        let queue = try DatabaseQueue(path: file)
        try Registry.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO entry(name, collection, zooFile, dataset, modality, definition, retired, importedAt) VALUES ('old', 'S', 'old.yml', 'D', '2d', '{}', 1, '2026-01-01')")
            try db.execute(sql: "INSERT INTO run(entryName, mode, status, startedAt) VALUES ('old', 'eval', 'succeeded', '2026-01-01')")
        }
        try queue.close()
        // When opened by this version
        let registry = try Registry.open(home: home)
        try registry.importZoo(try ZooSources.load(overrides: []).parse())
        // Then it is migrated, with the old run kept
        #expect(try registry.runs(for: "old").count == 1)
        let reopened = try Registry.open(home: home)
        #expect(try reopened.entries().count == (try ZooSources.load(overrides: []).parse()).flatMap(\.entries).count)
        #expect(try reopened.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == ["v1", "v2-run-process", "v3-data-file", "v4-run-arithmetic", "v5-run-gpus", "v6-run-split", "v7-run-executor", "v8-run-seed-rule"])
    }
}
