import ArgumentParser
import Foundation

@main
struct SkelZoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skelzoo",
        abstract: "Reproduce published skeleton action recognition results (ST-GCN from MMAction2's model zoo).",
        discussion: """
        The zoo lists each model with its config, checkpoint and published scores. The registry of
        checkpoints and runs lives in $SKELZOO_HOME (default ~/.cache/skelzoo).

        Examples:
          skelzoo list
          skelzoo show stgcn_80e_ntu60_xsub_keypoint
          skelzoo test stgcn_80e_ntu60_xsub_keypoint model.pth --ann-file ntu60_xsub_val.pkl
        """,
        version: "0.1.0",
        subcommands: [List.self, Show.self, Train.self, Test.self, Bench.self, DataCommand.self, Reproduce.self, Report.self, Download.self, Verify.self]
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("SkelZoo home: registry, checkpoint and data cache.", discussion: "Default: $SKELZOO_HOME, else ${XDG_CACHE_HOME:-~/.cache}/skelzoo.", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("A zoo YAML file or folder that adds to or replaces (by file name) the built-in zoo. Repeatable.", valueName: "path"))
    var zoo: [String] = []

    /// The home folder in effect.
    var homeURL: URL {
        if let home { return URL(fileURLWithPath: home) }
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["SKELZOO_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return URL(fileURLWithPath: cache).appending(path: "skelzoo") }
        return FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/skelzoo")
    }
}
