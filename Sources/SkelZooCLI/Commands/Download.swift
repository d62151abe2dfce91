import ArgumentParser
import Foundation
import ZooConfig
import ZooFetch
import ZooHarness
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
                let context = try global.context()
                let chosen = all ? context.files.flatMap(\.entries).filter { $0.weightsURL != nil } : try entries.map { try context.entry(named: $0) }
                var options = DownloadOptions.fromEnvironment
                if let mirror { options.mirror = mirror }
                if offline { options.offline = true }
                let downloader = Downloader(options: options)
                var summary: [CacheTask.Outcome] = []
                for entry in chosen {
                    for task in try CacheTask.tasks(for: entry, context: context, data: data) {
                        if force { try Downloader.discard(task.destination) }
                        let outcome = task.run(downloader, context: context, log: Console.log)
                        if outcome.isFailure { failures += 1 }
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
                let context = try global.context()
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
                    if outcome.isCorrupt && fix {
                        try Downloader.discard(task.destination)
                        outcome = task.run(Downloader(options: options), context: context, log: Console.log)
                    }
                    if outcome.isFailure { corrupt += 1 }
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
