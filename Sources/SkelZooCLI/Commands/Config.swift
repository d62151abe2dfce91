import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooIO

extension SkelZoo {
    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Work with an entry's config.",
            subcommands: [Export.self])

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the MMAction2 0.24.1 Python config that builds the same network and pipeline as an entry's config.",
                discussion: """
                Every value that changes a result is spelled out, so MMAction2's defaults decide none. An entry MMAction2 \
                cannot express is an error that says why: the demo entries' `channels`/`strides` are a SkelZoo extension \
                that MMAction2's STGCN (whose ten blocks are hard-coded) rejects. Only MMAction2 0.x SkeletonGCN/STGCN \
                configs are exported; any other model type is refused by name.

                Examples:
                  skelzoo config export stgcn_80e_ntu60_xsub_keypoint
                  skelzoo config export stgcn_80e_babel60_wfl --out stgcn_80e_babel60_wfl.py
                """)

            @OptionGroup var global: GlobalOptions

            @Argument(help: "Zoo entry name (see `skelzoo list`).")
            var entry: String

            @Option(help: ArgumentHelp("Write the config to this file instead of standard output.", valueName: "file"))
            var out: String?

            func run() throws {
                try Console.run {
                    let context = try global.context()
                    let zooEntry = try context.entry(named: entry)
                    let (text, origin) = try context.sources.configText(for: zooEntry)
                    try MMAction2Export.checkModelType(yaml: text, file: origin)
                    let config = try ExperimentConfig.parse(text, file: origin)
                    let python = try MMAction2Export.python(config, name: zooEntry.name, source: zooEntry.config ?? origin)
                    guard let out else {
                        try Console.output(String(python.dropLast()))
                        return
                    }
                    let url = URL(fileURLWithPath: out)
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                        throw CLIError("--out \(url.path) is a folder", hint: "give a file name, e.g. --out \(url.appending(path: zooEntry.name + ".py").path)")
                    }
                    try AtomicFile.write(Data(python.utf8), to: url)
                    Console.info("wrote \(url.path)")
                }
            }
        }
    }
}
