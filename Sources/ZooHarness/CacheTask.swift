import Foundation
import ZooConfig
import ZooFetch
import ZooIO
import ZooRegistry

/// One file of an entry to fetch or verify, with where it goes and what it must hash to.
public struct CacheTask {
    public var entry: ZooEntry
    public var url: String
    public var destination: URL
    public var expected: ExpectedHash
    public var isCheckpoint: Bool

    public struct Outcome: Encodable {
        public var entry: String
        public var file: String
        public var state: String
        public var sha256: String?
        public var bytes: Int64?
        public var error: String?
        /// What `verify` found (nil for a download): decides "corrupt", never the rendered `state`.
        public var checked: Checkpoint.State?

        enum CodingKeys: String, CodingKey { case entry, file, state, sha256, bytes, error }

        /// The file is there and does not match its expected hash.
        public var isCorrupt: Bool { checked == .corrupt }
        /// Something went wrong: a corrupt file or an error.
        public var isFailure: Bool { isCorrupt || error != nil }

        public var line: String {
            "\(entry): \(URL(fileURLWithPath: file).lastPathComponent) \(state)" + (error.map { " — \($0)" } ?? "")
        }
    }

    public static func tasks(for entry: ZooEntry, context: ZooContext, data: Bool) throws -> [CacheTask] {
        var tasks: [CacheTask] = []
        if let url = entry.weightsURL, let name = entry.checkpointFileName {
            tasks.append(CacheTask(entry: entry, url: url, destination: context.home.appending(path: "checkpoints").appending(path: name),
                                   expected: ExpectedHash(sha256: entry.sha256, prefix: entry.sha256Prefix), isCheckpoint: true))
        }
        if data, !entry.dataURLs.isEmpty {
            let config = try context.sources.config(for: entry)
            let annFiles = [config.data.train.annFile, config.data.val.annFile, config.data.test.annFile]
            for url in entry.dataURLs {
                let name = URL(string: url)?.lastPathComponent ?? url
                let relative = annFiles.first { $0.hasSuffix("/" + name) } ?? "data/\(name)"
                tasks.append(CacheTask(entry: entry, url: url, destination: context.home.appending(path: relative), expected: ExpectedHash(), isCheckpoint: false))
            }
        }
        return tasks
    }

    /// Fetches (or finds cached) and verifies the file, recording it in the registry; a failure is an outcome, not a throw.
    public func run(_ downloader: Downloader, context: ZooContext, log: HarnessLog) -> Outcome {
        let progress = log.progress("\(destination.lastPathComponent)", 10)
        let name = destination.lastPathComponent
        do {
            // No hash in the zoo: the sha256 recorded at the first download is what a later copy must match.
            let recorded = expected.isKnown ? nil : try context.registry.dataFile(atPath: destination.path)
            let result = try downloader.fetch(url, to: destination, expected: recorded.map { ExpectedHash(sha256: $0.sha256) } ?? expected,
                                              progress: { received, total in
                                                  progress(Int(received / 1024), Int((total ?? received) / 1024), "KiB")
                                              },
                                              status: { log.info("\(name): \($0)") })
            let how = result.cached ? "cached" : "downloaded"
            let state: String
            if expected.isKnown {
                try record(.verified, sha256: result.sha256, bytes: result.byteCount, context: context)
                state = "\(how), verified"
            } else if recorded != nil {
                state = "\(how) (no hash in the zoo; matches the sha256 recorded at its first download)"
            } else {
                try context.registry.recordDataFile(DataFile(path: destination.path, entryName: entry.name, url: url,
                                                             sha256: result.sha256, byteCount: result.byteCount))
                state = "\(how) (unverified: no hash in the zoo)"
            }
            return Outcome(entry: entry.name, file: result.path, state: state, sha256: result.sha256, bytes: result.byteCount)
        } catch let error as DownloadError {
            return Outcome(entry: entry.name, file: destination.path, state: "failed", error: error.message + (error.hint.map { " (\($0))" } ?? "") + " [\(error.url)]")
        } catch {
            return Outcome(entry: entry.name, file: destination.path, state: "failed", error: "\(error)")
        }
    }

    /// Re-hashes the cached file and records the result (checkpoints only).
    public func verify(context: ZooContext) -> Outcome {
        guard FileManager.default.fileExists(atPath: destination.path) else {
            do { try record(.absent, sha256: nil, bytes: nil, context: context) } catch {
                return Outcome(entry: entry.name, file: destination.path, state: "failed", error: "\(error)")
            }
            return Outcome(entry: entry.name, file: destination.path, state: "absent", checked: .absent)
        }
        do {
            let sha = try Downloader.sha256(of: destination)
            let bytes = (try FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? NSNumber)?.int64Value
            let state: Checkpoint.State = expected.matches(sha) ? .verified : .corrupt
            try record(state, sha256: sha, bytes: bytes, context: context)
            return Outcome(entry: entry.name, file: destination.path, state: state.rawValue, sha256: sha, bytes: bytes,
                           error: state == .corrupt ? "sha256 \(sha) does not match \(expected.description)" : nil, checked: state)
        } catch {
            return Outcome(entry: entry.name, file: destination.path, state: "failed", error: "\(error)")
        }
    }

    public func record(_ state: Checkpoint.State, sha256: String?, bytes: Int64?, context: ZooContext) throws {
        guard isCheckpoint else { return }
        try context.registry.updateCheckpoint(Checkpoint(
            entryName: entry.name, url: url, fileName: destination.lastPathComponent, sha256Prefix: entry.sha256Prefix,
            sha256: sha256, byteCount: bytes, localPath: state == .absent ? nil : destination.path, state: state,
            verifiedAt: state == .absent ? nil : Date()))
    }
}
