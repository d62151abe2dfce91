import ArgumentParser
import Foundation
import ZooConfig
import ZooFetch
import ZooRegistry

extension SkelZoo {
    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download checkpoints (and annotation files) into the cache, verified by sha256.",
            discussion: """
            Files go to $SKELZOO_HOME/checkpoints/ (and the configs' data paths with --data). Each is fetched into NAME.part,
            hashed and renamed into place only when the hash matches: the full sha256 where the zoo gives it, else the 8-hex
            prefix OpenMMLab puts in the file name. An interrupted download resumes; transient errors are retried; several
            processes fetching one file share one download. --mirror (or SKELZOO_MIRROR) replaces scheme and host of every URL;
            --offline (or SKELZOO_OFFLINE=1) never touches the network.

            Examples:
              skelzoo download stgcn_80e_ntu60_xsub_keypoint
              skelzoo download --all --data --mirror http://mirror.internal:8000
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Entries to download.")
        var entries: [String] = []

        @Flag(help: "Every entry that has a checkpoint.")
        var all = false

        @Flag(help: "Also the annotation files the zoo lists.")
        var data = false

        @Flag(help: "Download again even when a verified copy is cached.")
        var force = false

        @Option(help: "Mirror base URL (scheme and host; the zoo URL's path is kept).")
        var mirror: String?

        @Flag(help: "Never touch the network; fail for what is not cached.")
        var offline = false

        @Flag(help: "Print a JSON summary.")
        var json = false

        func validate() throws {
            if entries.isEmpty && !all { throw ValidationError("name entries to download, or pass --all") }
        }

        func run() throws {
            var failures = 0
            try Console.run {
                let context = try ZooContext(global)
                let chosen = all ? context.files.flatMap(\.entries).filter { $0.weightsURL != nil } : try entries.map { try context.entry(named: $0) }
                var options = DownloadOptions.fromEnvironment
                if let mirror { options.mirror = mirror }
                if offline { options.offline = true }
                let downloader = Downloader(options: options)
                var summary: [CacheTask.Outcome] = []
                for entry in chosen {
                    for task in try CacheTask.tasks(for: entry, context: context, data: data) {
                        if force { try Downloader.discard(task.destination) }
                        let outcome = task.run(downloader, context: context)
                        if outcome.error != nil { failures += 1 }
                        summary.append(outcome)
                        if !json { try Console.output(outcome.line) }
                    }
                }
                if json { try Console.output(try Console.json(summary)) }
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash cached checkpoints and mark them verified, corrupt or absent in the registry.",
            discussion: """
            Exits non-zero when a cached file does not match its expected hash. --fix downloads those again.

            Examples:
              skelzoo verify
              skelzoo verify stgcn_80e_babel60 --fix
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Entries (default: every entry with a checkpoint).")
        var entries: [String] = []

        @Flag(help: "Download corrupt files again.")
        var fix = false

        @Option(help: "Mirror base URL for --fix.")
        var mirror: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            var corrupt = 0
            try Console.run {
                let context = try ZooContext(global)
                let chosen = entries.isEmpty ? context.files.flatMap(\.entries).filter { $0.weightsURL != nil || !$0.dataURLs.isEmpty }
                    : try entries.map { try context.entry(named: $0) }
                var options = DownloadOptions.fromEnvironment
                if let mirror { options.mirror = mirror }
                var outcomes: [CacheTask.Outcome] = []
                for entry in chosen {
                  for var task in try CacheTask.tasks(for: entry, context: context, data: !entry.dataURLs.isEmpty) {
                    if !task.isCheckpoint {
                        // A data file is checked against the sha256 recorded at its first download; never downloaded, nothing to check.
                        guard let recorded = try context.registry.dataFile(atPath: task.destination.path) else { continue }
                        task.expected = ExpectedHash(sha256: recorded.sha256)
                    }
                    var outcome = task.verify(context: context)
                    if outcome.state == "corrupt" && fix {
                        try Downloader.discard(task.destination)
                        outcome = task.run(Downloader(options: options), context: context)
                    }
                    if outcome.state == "corrupt" || outcome.error != nil { corrupt += 1 }
                    outcomes.append(outcome)
                    if !json { try Console.output(outcome.line) }
                  }
                }
                if json { try Console.output(try Console.json(outcomes)) }
            }
            if corrupt > 0 { throw ExitCode(1) }
        }
    }
}

/// One file of an entry to fetch or verify, with where it goes and what it must hash to.
struct CacheTask {
    var entry: ZooEntry
    var url: String
    var destination: URL
    var expected: ExpectedHash
    var isCheckpoint: Bool

    struct Outcome: Encodable {
        var entry: String
        var file: String
        var state: String
        var sha256: String?
        var bytes: Int64?
        var error: String?
        var line: String {
            "\(entry): \(URL(fileURLWithPath: file).lastPathComponent) \(state)" + (error.map { " — \($0)" } ?? "")
        }
    }

    static func tasks(for entry: ZooEntry, context: ZooContext, data: Bool) throws -> [CacheTask] {
        var tasks: [CacheTask] = []
        if let url = entry.weightsURL, let name = entry.checkpointFileName {
            tasks.append(CacheTask(entry: entry, url: url, destination: context.home.appending(path: "checkpoints").appending(path: name),
                                   expected: ExpectedHash(sha256: entry.sha256, prefix: entry.sha256Prefix), isCheckpoint: true))
        }
        if data, !entry.dataURLs.isEmpty {
            let annFiles = try context.sources.entryConfig(for: entry).annotationFiles
            for url in entry.dataURLs {
                let name = URL(string: url)?.lastPathComponent ?? url
                let relative = annFiles.first { $0.hasSuffix("/" + name) } ?? "data/\(name)"
                tasks.append(CacheTask(entry: entry, url: url, destination: context.home.appending(path: relative), expected: ExpectedHash(), isCheckpoint: false))
            }
        }
        return tasks
    }

    func run(_ downloader: Downloader, context: ZooContext) -> Outcome {
        let progress = ProgressLine("\(destination.lastPathComponent)", plainEvery: 10)
        let name = destination.lastPathComponent
        do {
            // No hash in the zoo: the sha256 recorded at the first download is what a later copy must match.
            let recorded = expected.isKnown ? nil : try context.registry.dataFile(atPath: destination.path)
            let result = try downloader.fetch(url, to: destination, expected: recorded.map { ExpectedHash(sha256: $0.sha256) } ?? expected,
                                              progress: { received, total in
                                                  progress.update(Int(received / 1024), Int((total ?? received) / 1024), unit: "KiB")
                                              },
                                              status: { Console.info("\(name): \($0)") })
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

    func verify(context: ZooContext) -> Outcome {
        guard FileManager.default.fileExists(atPath: destination.path) else {
            do { try record(.absent, sha256: nil, bytes: nil, context: context) } catch {
                return Outcome(entry: entry.name, file: destination.path, state: "failed", error: "\(error)")
            }
            return Outcome(entry: entry.name, file: destination.path, state: "absent")
        }
        do {
            let sha = try Downloader.sha256(of: destination)
            let bytes = (try FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? NSNumber)?.int64Value
            let state: Checkpoint.State = expected.matches(sha) ? .verified : .corrupt
            try record(state, sha256: sha, bytes: bytes, context: context)
            return Outcome(entry: entry.name, file: destination.path, state: state.rawValue, sha256: sha, bytes: bytes,
                           error: state == .corrupt ? "sha256 \(sha) does not match \(expected.description)" : nil)
        } catch {
            return Outcome(entry: entry.name, file: destination.path, state: "failed", error: "\(error)")
        }
    }

    func record(_ state: Checkpoint.State, sha256: String?, bytes: Int64?, context: ZooContext) throws {
        guard isCheckpoint else { return }
        try context.registry.updateCheckpoint(Checkpoint(
            entryName: entry.name, url: url, fileName: destination.lastPathComponent, sha256Prefix: entry.sha256Prefix,
            sha256: sha256, byteCount: bytes, localPath: state == .absent ? nil : destination.path, state: state,
            verifiedAt: state == .absent ? nil : Date()))
    }
}
