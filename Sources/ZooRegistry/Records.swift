// Registry records: one struct per table, named as the table, columns in a nested `Columns` enum.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import ZooConfig

/// A zoo entry as last imported. Entries are never deleted: one gone from its zoo file is `retired`.
public struct Entry: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "entry"
    public var name: String
    public var collection: String
    public var zooFile: String
    public var dataset: String
    public var modality: String
    /// The full zoo definition as canonical JSON (a ``ZooEntry``).
    public var definition: String
    public var retired: Bool
    public var importedAt: Date

    public enum Columns {
        public static let name = Column(CodingKeys.name)
        public static let collection = Column(CodingKeys.collection)
        public static let zooFile = Column(CodingKeys.zooFile)
        public static let dataset = Column(CodingKeys.dataset)
        public static let retired = Column(CodingKeys.retired)
    }

    /// The decoded zoo definition.
    public func zooEntry() throws -> ZooEntry {
        try JSONDecoder().decode(ZooEntry.self, from: Data(definition.utf8))
    }
}

/// A published score of an entry, in zoo-file order.
public struct PublishedScoreRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "publishedScore"
    public var entryName: String
    public var position: Int
    public var dataset: String
    public var metric: String
    public var value: String
    public var source: String
    public var footnote: String?

    public enum Columns {
        public static let entryName = Column(CodingKeys.entryName)
        public static let position = Column(CodingKeys.position)
    }
}

/// What is known of an entry's checkpoint file in the cache.
public struct Checkpoint: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "checkpoint"
    public enum State: String, Codable, Sendable { case absent, cached, verified, corrupt }
    public var entryName: String
    public var url: String
    public var fileName: String
    public var sha256Prefix: String?
    public var sha256: String?
    public var byteCount: Int64?
    public var localPath: String?
    public var state: State
    public var verifiedAt: Date?

    public init(entryName: String, url: String, fileName: String, sha256Prefix: String?, sha256: String?, byteCount: Int64?,
                localPath: String?, state: State, verifiedAt: Date?) {
        self.entryName = entryName
        self.url = url
        self.fileName = fileName
        self.sha256Prefix = sha256Prefix
        self.sha256 = sha256
        self.byteCount = byteCount
        self.localPath = localPath
        self.state = state
        self.verifiedAt = verifiedAt
    }

    public enum Columns {
        public static let entryName = Column(CodingKeys.entryName)
    }
}

/// An annotation file the zoo gives no hash for, with the sha256 it had when first downloaded.
public struct DataFile: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "dataFile"
    public var path: String
    public var entryName: String
    public var url: String
    public var sha256: String
    public var byteCount: Int64
    public var recordedAt: Date

    public init(path: String, entryName: String, url: String, sha256: String, byteCount: Int64, recordedAt: Date = Date()) {
        self.path = path
        self.entryName = entryName
        self.url = url
        self.sha256 = sha256
        self.byteCount = byteCount
        self.recordedAt = recordedAt
    }
}

/// One evaluation or training run.
public struct Run: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"
    public enum Status: String, Codable, Sendable { case running, succeeded, failed, skipped }
    public var id: Int64?
    public var entryName: String
    public var mode: String
    public var seed: Int?
    public var status: Status
    public var configHash: String?
    public var codeVersion: String?
    public var cpu: String?
    /// OpenBLAS's core, for runs recorded before the portable arithmetic (registry v1-v2).
    public var blasCore: String?
    /// `portable-1` or `openblas/<core>`: bits compare only between runs of one arithmetic.
    public var arithmetic: String?
    /// The GEMM kernel that ran: an ISA (`avx512`) or OpenBLAS's core.
    public var kernel: String?
    public var threads: Int?
    public var checkpointSHA256: String?
    public var weightsSHA256: String?
    public var workDir: String?
    public var message: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var wallSeconds: Double?
    /// The process running it; a `running` run whose process is gone has crashed.
    public var pid: Int?
    public var host: String?
    /// The `skelzoo reproduce` invocation it belongs to.
    public var batch: String?
    /// For skipped runs: why, and the command that would fix it.
    public var skipReason: String?
    public var fixCommand: String?
    /// Retrains: emulated data-parallel GPUs and samples per GPU per step.
    public var gpus: Int?
    public var perGPUBatch: Int?
    /// Where it ran: nil or `local` for a run recorded by the process that ran it, `slurm` for one imported by `collect`.
    public var executor: String?
    /// For a Slurm task: the array's job id, the task's index in the array (its plan index), the node and the final Slurm state.
    public var jobId: String?
    public var arrayTaskId: Int?
    public var node: String?
    public var slurmState: String?
    /// Retrains of `reproduce --seeds auto`: the 95% interval's target half-width (points) and the most seeds; the
    /// batch's verdict is made against the interval of the mean.
    public var seedRuleHalfWidth: Double?
    public var seedRuleMaximum: Int?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let entryName = Column(CodingKeys.entryName)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let batch = Column(CodingKeys.batch)
        public static let arrayTaskId = Column(CodingKeys.arrayTaskId)
    }

    public init(entryName: String, mode: String, seed: Int? = nil, status: Status = .running, startedAt: Date = Date()) {
        self.entryName = entryName
        self.mode = mode
        self.seed = seed
        self.status = status
        self.startedAt = startedAt
        pid = Int(ProcessInfo.processInfo.processIdentifier)
        host = ProcessInfo.processInfo.hostName
    }

    /// True for a run still marked running whose process no longer exists on this host.
    public var crashed: Bool {
        guard status == .running, let pid, host == ProcessInfo.processInfo.hostName else { return false }
        return kill(pid_t(pid), 0) != 0 && errno == ESRCH
    }

    /// The status to show a user: `running` only while its process lives; one whose process is gone is `crashed`.
    public var displayStatus: String {
        crashed ? "crashed (its process \(pid.map(String.init) ?? "?") is gone; the run never finished)" : status.rawValue
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A final score of a run (fractions in [0, 1], as MMAction2 computes them).
public struct RunScore: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runScore"
    public var runId: Int64
    public var metric: String
    public var value: Double

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
    }
}

/// A per-epoch metric of a training run (loss, lr, validation top-1, ...).
public struct EpochMetric: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "epochMetric"
    public var runId: Int64
    public var epoch: Int
    public var metric: String
    public var value: Double

    public init(runId: Int64, epoch: Int, metric: String, value: Double) {
        self.runId = runId
        self.epoch = epoch
        self.metric = metric
        self.value = value
    }

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
        public static let epoch = Column(CodingKeys.epoch)
    }
}

/// One data split a run read (see ZooRunner's `DatasetFingerprint`): annotation file, its sha256, the split's fingerprint.
public struct RunSplit: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runSplit"
    public var id: Int64?
    public var runId: Int64
    /// `train`, `val` or `test`.
    public var split: String
    public var file: String
    public var fileSHA256: String
    /// SHA-256 of the split's sorted (frame_dir, label) list.
    public var fingerprint: String
    public var samples: Int
    public var classes: Int

    public init(runId: Int64 = 0, split: String, file: String, fileSHA256: String, fingerprint: String, samples: Int, classes: Int) {
        self.runId = runId
        self.split = split
        self.file = file
        self.fileSHA256 = fileSHA256
        self.fingerprint = fingerprint
        self.samples = samples
        self.classes = classes
    }

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
