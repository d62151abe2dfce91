// The SQLite registry of zoo entries, published scores, checkpoints and runs (GRDB).
//
// One file, `$SKELZOO_HOME/registry.sqlite`, in WAL mode with a busy timeout so several `skelzoo`
// processes can use it at once. Schema changes are append-only GRDB migrations; a file written by a
// newer SkelZoo is refused, never migrated down or erased.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import ZooConfig
import ZooIO

public struct Registry: Sendable {
    let writer: any DatabaseWriter
    /// The database file, or nil for an in-memory registry.
    public let path: String?
    /// The file's (device, inode) when opened: a run's record is committed only into that same file.
    let identity: FileIdentity?

    /// Opens (creating if needed) the registry in `home`, migrating it to the current schema.
    /// A process-wide file lock serialises migration with other `skelzoo` processes.
    /// - Throws: ``RegistryError`` naming the file when `home` is not writable, the file is not
    ///   an SQLite database, or it was made by a newer schema.
    public static func open(home: URL) throws -> Registry {
        do {
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        } catch {
            throw RegistryError(.homeNotWritable, "cannot create SkelZoo home \(home.path): \((error as NSError).localizedDescription)",
                                hint: "set SKELZOO_HOME or --home to a writable folder")
        }
        let file = home.appending(path: "registry.sqlite").path
        let lock: FileLock
        do { lock = try FileLock(path: home.appending(path: "registry.lock").path) } catch let error as IOError {
            throw RegistryError(.homeNotWritable, error.message, hint: "set SKELZOO_HOME or --home to a writable folder")
        }
        defer { lock.release() }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: file, configuration: configuration)
        } catch {
            throw describe(error, file: file)
        }
        return try Registry(writer: pool, path: file)
    }

    /// An in-memory registry (tests).
    public static func inMemory() throws -> Registry {
        try Registry(writer: DatabaseQueue(), path: nil)
    }

    init(writer: any DatabaseWriter, path: String?) throws {
        self.writer = writer
        self.path = path
        identity = path.flatMap(FileIdentity.init(path:))
        let migrator = Self.migrator
        do {
            if try writer.read({ try migrator.hasBeenSuperseded($0) }) {
                throw RegistryError(.newerSchema, "\(path ?? "registry") was written by a newer SkelZoo (unknown schema migrations)",
                                    hint: "use the newer skelzoo, or point --home at another folder")
            }
            try migrator.migrate(writer)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw Self.describe(error, file: path ?? ":memory:")
        }
    }

    static func describe(_ error: any Error, file: String) -> RegistryError {
        if let error = error as? DatabaseError {
            // SQLite says "disk I/O error" or "unable to open" when the -wal or -shm file cannot grow on a full disk.
            if [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN].contains(error.resultCode), Self.diskIsFull(at: file) {
                return RegistryError(.diskFull, "\(file): the disk is full (\(error.message ?? "\(error.resultCode)"))",
                                     hint: "free space on the disk that holds \(file), then run again; the transaction was rolled back, nothing half-written was kept")
            }
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return RegistryError(.notADatabase, "\(file) is not an SQLite database (\(error.message ?? "file is not a database"))",
                                     hint: "move the file away; SkelZoo creates a fresh registry")
            case .SQLITE_FULL:
                return RegistryError(.diskFull, "\(file): the disk is full, SQLite could not commit (\(error.message ?? "database or disk is full"))",
                                     hint: "free space on the disk that holds \(file), then run again; the transaction was rolled back, nothing half-written was kept")
            case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_IOERR:
                return RegistryError(.homeNotWritable, "cannot open \(file) for writing (\(error.message ?? "\(error.resultCode)"))",
                                     hint: "set SKELZOO_HOME or --home to a writable folder")
            default:
                return RegistryError(.database, "\(file): \(error.message ?? "\(error)")")
            }
        }
        return RegistryError(.database, "\(file): \(error)")
    }

    /// True when the file system holding `file` has no block left for an unprivileged writer.
    static func diskIsFull(at file: String) -> Bool {
        var info = statvfs()
        guard statvfs(URL(fileURLWithPath: file).deletingLastPathComponent().path, &info) == 0 else { return false }
        return info.f_bavail == 0
    }

    // MARK: - Schema

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "collection") { t in
                t.primaryKey("name", .text)
                t.column("definition", .text).notNull()
            }
            try db.create(table: "entry") { t in
                t.primaryKey("name", .text)
                t.column("collection", .text).notNull()
                t.column("zooFile", .text).notNull()
                t.column("dataset", .text).notNull()
                t.column("modality", .text).notNull()
                t.column("definition", .text).notNull()
                t.column("retired", .boolean).notNull().defaults(to: false)
                t.column("importedAt", .datetime).notNull()
            }
            try db.create(table: "publishedScore") { t in
                t.column("entryName", .text).notNull().references("entry", onDelete: .cascade)
                t.column("position", .integer).notNull()
                t.column("dataset", .text).notNull()
                t.column("metric", .text).notNull()
                t.column("value", .text).notNull()
                t.column("source", .text).notNull()
                t.column("footnote", .text)
                t.primaryKey(["entryName", "position"])
            }
            try db.create(table: "checkpoint") { t in
                t.primaryKey("entryName", .text).references("entry", onDelete: .cascade)
                t.column("url", .text).notNull()
                t.column("fileName", .text).notNull()
                t.column("sha256Prefix", .text)
                t.column("sha256", .text)
                t.column("byteCount", .integer)
                t.column("localPath", .text)
                t.column("state", .text).notNull()
                t.column("verifiedAt", .datetime)
            }
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("entryName", .text).notNull().indexed().references("entry", onDelete: .restrict)
                t.column("mode", .text).notNull()
                t.column("seed", .integer)
                t.column("status", .text).notNull()
                t.column("configHash", .text)
                t.column("codeVersion", .text)
                t.column("cpu", .text)
                t.column("blasCore", .text)
                t.column("threads", .integer)
                t.column("checkpointSHA256", .text)
                t.column("weightsSHA256", .text)
                t.column("workDir", .text)
                t.column("message", .text)
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("wallSeconds", .double)
            }
            try db.create(table: "runScore") { t in
                t.column("runId", .integer).notNull().references("run", onDelete: .cascade)
                t.column("metric", .text).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["runId", "metric"])
            }
            try db.create(table: "epochMetric") { t in
                t.column("runId", .integer).notNull().references("run", onDelete: .cascade)
                t.column("epoch", .integer).notNull()
                t.column("metric", .text).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["runId", "epoch", "metric"])
            }
        }
        migrator.registerMigration("v2-run-process") { db in
            // The process that runs a run (a `running` run whose process is gone crashed) and the reproduce
            // invocation it belongs to.
            try db.alter(table: "run") { t in
                t.add(column: "pid", .integer)
                t.add(column: "host", .text)
                t.add(column: "batch", .text)
                t.add(column: "skipReason", .text)
                t.add(column: "fixCommand", .text)
            }
        }
        migrator.registerMigration("v3-data-file") { db in
            // Annotation files the zoo gives no hash for: the sha256 seen at first download, so `verify` sees a change.
            try db.create(table: "dataFile") { t in
                t.primaryKey("path", .text)
                t.column("entryName", .text).notNull()
                t.column("url", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("byteCount", .integer).notNull()
                t.column("recordedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4-run-arithmetic") { db in
            // The arithmetic a run used (portable-N or openblas/<core>) and its GEMM kernel; runs from before
            // keep only their OpenBLAS core.
            try db.alter(table: "run") { t in
                t.add(column: "arithmetic", .text)
                t.add(column: "kernel", .text)
            }
            try db.execute(sql: "UPDATE run SET arithmetic = 'openblas/' || blasCore WHERE blasCore IS NOT NULL")
        }
        migrator.registerMigration("v5-run-gpus") { db in
            // Emulated data-parallel GPUs of a retrain and its per-GPU batch (the total is their product). Retrains from
            // before ran in one process; their per-GPU batch was their config's and is not known here.
            try db.alter(table: "run") { t in
                t.add(column: "gpus", .integer)
                t.add(column: "perGPUBatch", .integer)
            }
            try db.execute(sql: "UPDATE run SET gpus = 1 WHERE mode = 'train'")
        }
        migrator.registerMigration("v6-run-split") { db in
            // The data a run read, split by split: the annotation file's sha256 and the split's fingerprint.
            try db.create(table: "runSplit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("runId", .integer).notNull().indexed().references("run", onDelete: .cascade)
                t.column("split", .text).notNull()
                t.column("file", .text).notNull()
                t.column("fileSHA256", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("samples", .integer).notNull()
                t.column("classes", .integer).notNull()
                t.uniqueKey(["runId", "split"])
            }
        }
        migrator.registerMigration("v7-run-executor") { db in
            // Runs imported by `collect` from a Slurm array: the executor, job and array task, node and final Slurm
            // state. One record per (batch, array task): collecting twice records nothing new.
            try db.alter(table: "run") { t in
                t.add(column: "executor", .text)
                t.add(column: "jobId", .text)
                t.add(column: "arrayTaskId", .integer)
                t.add(column: "node", .text)
                t.add(column: "slurmState", .text)
            }
            try db.execute(sql: "CREATE UNIQUE INDEX run_batch_arrayTaskId ON run(batch, arrayTaskId) WHERE arrayTaskId IS NOT NULL")
        }
        migrator.registerMigration("v8-run-seed-rule") { db in
            // `reproduce --seeds auto --ci H --max-seeds M`: the rule the batch's seeds ran under (its verdict is made
            // against the 95% interval of the mean). Runs from before ran a fixed seed list.
            try db.alter(table: "run") { t in
                t.add(column: "seedRuleHalfWidth", .double)
                t.add(column: "seedRuleMaximum", .integer)
            }
        }
        return migrator
    }

    // MARK: - Zoo import

    /// What an import changed.
    public struct ImportSummary: Sendable, Equatable {
        public var added: [String] = []
        public var updated: [String] = []
        public var retired: [String] = []
        public var unchanged: Int = 0
    }

    /// Imports zoo files idempotently in one transaction: new entries are added, changed ones updated,
    /// and an entry that was imported from one of these files but is gone from it is retired (its runs kept).
    @discardableResult
    public func importZoo(_ files: [ZooFile], now: Date = Date()) throws -> ImportSummary {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try writer.write { db in
            var summary = ImportSummary()
            for file in files {
                for collection in file.collections {
                    let json = String(decoding: try encoder.encode(collection), as: UTF8.self)
                    try db.execute(sql: "INSERT INTO collection(name, definition) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET definition = excluded.definition",
                                   arguments: [collection.name, json])
                }
                let names = Set(file.entries.map(\.name))
                for zooEntry in file.entries {
                    let json = String(decoding: try encoder.encode(zooEntry), as: UTF8.self)
                    let existing = try Entry.fetchOne(db, key: zooEntry.name)
                    if let existing, existing.definition == json, !existing.retired, existing.zooFile == file.name {
                        summary.unchanged += 1
                        continue
                    }
                    let entry = Entry(name: zooEntry.name, collection: zooEntry.collection, zooFile: file.name,
                                      dataset: zooEntry.dataset, modality: zooEntry.modality, definition: json,
                                      retired: false, importedAt: now)
                    try entry.save(db)
                    try PublishedScoreRecord.filter(PublishedScoreRecord.Columns.entryName == zooEntry.name).deleteAll(db)
                    for (position, score) in zooEntry.scores.enumerated() {
                        try PublishedScoreRecord(entryName: zooEntry.name, position: position, dataset: score.dataset,
                                                 metric: score.metric, value: score.value, source: score.source,
                                                 footnote: score.footnote).insert(db)
                    }
                    try syncCheckpoint(db, zooEntry)
                    if existing == nil { summary.added.append(zooEntry.name) } else { summary.updated.append(zooEntry.name) }
                }
                let gone = try Entry.filter(Entry.Columns.zooFile == file.name && Entry.Columns.retired == false).fetchAll(db)
                    .filter { !names.contains($0.name) }
                for var entry in gone {
                    entry.retired = true
                    try entry.update(db)
                    summary.retired.append(entry.name)
                }
            }
            return summary
        }
    }

    /// Keeps the checkpoint row's URL and expected hash in step with the zoo; local state is kept
    /// unless the expected file changed.
    private func syncCheckpoint(_ db: Database, _ zooEntry: ZooEntry) throws {
        guard let url = zooEntry.weightsURL, let fileName = zooEntry.checkpointFileName else {
            try Checkpoint.deleteOne(db, key: zooEntry.name)
            return
        }
        if var row = try Checkpoint.fetchOne(db, key: zooEntry.name) {
            let hashChanged = zooEntry.sha256 != nil && row.sha256 != nil && row.sha256 != zooEntry.sha256
            if row.url != url || row.sha256Prefix != zooEntry.sha256Prefix || hashChanged {
                row = Checkpoint(entryName: zooEntry.name, url: url, fileName: fileName, sha256Prefix: zooEntry.sha256Prefix,
                                 sha256: zooEntry.sha256, byteCount: nil, localPath: nil, state: .absent, verifiedAt: nil)
                try row.update(db)
            }
        } else {
            try Checkpoint(entryName: zooEntry.name, url: url, fileName: fileName, sha256Prefix: zooEntry.sha256Prefix,
                           sha256: zooEntry.sha256, byteCount: nil, localPath: nil, state: .absent, verifiedAt: nil).insert(db)
        }
    }

    // MARK: - Queries

    public func entries(includeRetired: Bool = false) throws -> [Entry] {
        try writer.read { db in
            var request = Entry.all()
            if !includeRetired { request = request.filter(Entry.Columns.retired == false) }
            return try request.fetchAll(db)
        }
    }

    public func entry(named name: String) throws -> Entry? {
        try writer.read { db in try Entry.fetchOne(db, key: name) }
    }

    public func publishedScores(for name: String) throws -> [PublishedScoreRecord] {
        try writer.read { db in
            try PublishedScoreRecord.filter(PublishedScoreRecord.Columns.entryName == name)
                .order(PublishedScoreRecord.Columns.position).fetchAll(db)
        }
    }

    public func checkpoint(for name: String) throws -> Checkpoint? {
        try writer.read { db in try Checkpoint.fetchOne(db, key: name) }
    }

    /// The hash recorded at the first download of the data file at `path`, if any.
    public func dataFile(atPath path: String) throws -> DataFile? {
        try writer.read { db in try DataFile.fetchOne(db, key: path) }
    }

    /// Records a data file's hash; the first record of a path is kept (it is what later copies are checked against).
    public func recordDataFile(_ file: DataFile) throws {
        try committing { db in
            if try DataFile.fetchOne(db, key: file.path) == nil { try file.insert(db) }
        }
    }

    public func updateCheckpoint(_ checkpoint: Checkpoint) throws {
        try writer.write { db in try checkpoint.save(db) }
    }

    /// Every run, newest first.
    public func allRuns() throws -> [Run] {
        try writer.read { db in try Run.order(Run.Columns.startedAt.desc, Run.Columns.id.desc).fetchAll(db) }
    }

    public func runs(for name: String) throws -> [Run] {
        try writer.read { db in
            try Run.filter(Run.Columns.entryName == name).order(Run.Columns.startedAt.desc, Run.Columns.id.desc).fetchAll(db)
        }
    }

    public func scores(ofRun id: Int64) throws -> [RunScore] {
        try writer.read { db in try RunScore.filter(RunScore.Columns.runId == id).order(Column("metric")).fetchAll(db) }
    }

    /// The data splits a run recorded, in train, val, test order.
    public func splits(ofRun id: Int64) throws -> [RunSplit] {
        try writer.read { db in try RunSplit.filter(RunSplit.Columns.runId == id).order(Column("id")).fetchAll(db) }
    }

    public func epochMetrics(ofRun id: Int64) throws -> [EpochMetric] {
        try writer.read { db in
            try EpochMetric.filter(EpochMetric.Columns.runId == id).order(EpochMetric.Columns.epoch, Column("metric")).fetchAll(db)
        }
    }

    // MARK: - Raw access for tests

    /// Reads with a closure (tests and reports).
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.read(body)
    }
}
