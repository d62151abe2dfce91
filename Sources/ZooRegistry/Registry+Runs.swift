// Runs in the registry: recorded when they start, finished in one transaction, and committed only into the
// database file this process opened (a file deleted or replaced meanwhile is detected, never written blind).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB

extension Registry {
    /// Records a run that is starting; returns it with its id. A crash leaves it `running`, never half-written.
    public func startRun(_ run: Run) throws -> Run {
        try committing { db in
            var run = run
            try run.insert(db)
            return run
        }
    }

    /// Finishes a run with its scores and per-epoch metrics, in one transaction.
    ///
    /// When that transaction cannot commit (a full disk), the run is marked `failed` with the reason in a second,
    /// smaller one, so `show` and `report` explain it; if even that fails, the run stays `running` and is shown as
    /// crashed once this process has exited.
    /// - Throws: ``RegistryError``: `.diskFull` with a hint, `.fileReplaced` when the database file was deleted or
    ///   replaced since it was opened (the record would otherwise go to a file nobody can see).
    public func finishRun(_ run: Run, scores: [String: Double], epochMetrics: [EpochMetric] = [], splits: [RunSplit] = []) throws {
        do {
            try committing { db in
                try run.update(db)
                guard let id = run.id else { return }
                try Self.saveResults(db, runId: id, scores: scores, epochMetrics: epochMetrics)
                for split in splits {
                    var split = split
                    split.runId = id
                    try split.insert(db)
                }
            }
        } catch let error as RegistryError where error.code == .diskFull && run.status != .failed {
            var failed = run
            failed.status = .failed
            failed.message = "the result could not be recorded: \(error.message)"
            var reported = error
            do {
                try committing { db in try failed.update(db) }
                reported.hint = (error.hint ?? "") + "; run #\(run.id ?? 0) is marked failed"
            } catch let second as RegistryError {
                reported.hint = (error.hint ?? "") + "; run #\(run.id ?? 0) could not be marked failed either (\(second.message)) and shows as crashed"
            }
            throw reported
        }
    }

    /// A write transaction that commits only into the file this registry opened, with errors described.
    func committing<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            // Checked before (a replaced file's WAL may already confuse the statements) and again just before COMMIT.
            try checkIdentity()
            return try writer.write { db in
                let value = try body(db)
                try checkIdentity()
                return value
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw Self.describe(error, file: path ?? ":memory:")
        }
    }

    /// Throws when the database file is gone or is another file than the one opened (deleted, moved, replaced).
    func checkIdentity() throws {
        guard let path, let identity else { return }
        guard FileIdentity(path: path) == identity else {
            throw RegistryError(.fileReplaced, "\(path) was deleted or replaced while this process had it open; this record was not written",
                                hint: "do not remove the registry while skelzoo runs; run the command again to record it in the current file")
        }
    }
}

/// A file's (device, inode): equal only for the very same file.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

// MARK: - Runs imported from an executor

extension Registry {
    /// The run recorded for array task `index` of reproduce batch `batch`, if `collect` has recorded it.
    public func collectedRun(batch: String, arrayTaskId index: Int) throws -> Run? {
        try writer.read { db in
            try Run.filter(Run.Columns.batch == batch && Run.Columns.arrayTaskId == index).fetchOne(db)
        }
    }

    /// Records a finished run (imported from a result file) with its scores and per-epoch metrics in one transaction;
    /// an existing record of the same (batch, array task) is replaced in place (a failed task that succeeded on a later
    /// collect after a requeue). Returns the run with its id.
    public func recordCollectedRun(_ run: Run, scores: [String: Double], epochMetrics: [EpochMetric] = []) throws -> Run {
        try committing { db in
            var run = run
            if let batch = run.batch, let index = run.arrayTaskId,
               let existing = try Run.filter(Run.Columns.batch == batch && Run.Columns.arrayTaskId == index).fetchOne(db) {
                run.id = existing.id
                try RunScore.filter(RunScore.Columns.runId == existing.id).deleteAll(db)
                try EpochMetric.filter(EpochMetric.Columns.runId == existing.id).deleteAll(db)
                try run.update(db)
            } else {
                try run.insert(db)
            }
            guard let id = run.id else { return run }
            try Self.saveResults(db, runId: id, scores: scores, epochMetrics: epochMetrics)
            return run
        }
    }

    /// Saves a run's scores (sorted by metric) and per-epoch metrics.
    static func saveResults(_ db: Database, runId id: Int64, scores: [String: Double], epochMetrics: [EpochMetric]) throws {
        for (metric, value) in scores.sorted(by: { $0.key < $1.key }) {
            try RunScore(runId: id, metric: metric, value: value).save(db)
        }
        for metric in epochMetrics {
            var metric = metric
            metric.runId = id
            try metric.save(db)
        }
    }
}
