import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooRegistry

extension SkelZoo {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one zoo entry: metadata, published scores with sources, config, checkpoint and past runs.",
            discussion: """
            Examples:
              skelzoo show stgcn_80e_babel120_wfl
              skelzoo show stgcn_80e_ntu60_xsub_keypoint --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Zoo entry name (see `skelzoo list`).")
        var entry: String

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            try Console.run {
                let context = try global.context()
                let zooEntry = try context.entry(named: entry)
                let config = try context.sources.config(for: zooEntry)
                let runs = try context.registry.runs(for: zooEntry.name)
                let state = try context.checkpointState(zooEntry)
                let parameters = ConfigSummary.parameterCount(config)
                let recipe = PublishedRecipe.resolve(entry: zooEntry, config: config)
                if json {
                    struct Output: Encodable {
                        var entry: ZooEntry
                        var parameterCount: Int
                        var recipe: PublishedRecipe
                        var checkpointState: String
                        var runs: [ShownRun]
                    }
                    try Console.output(try Console.json(Output(entry: zooEntry, parameterCount: parameters, recipe: recipe, checkpointState: state.rawValue,
                                                               runs: runs.map(ShownRun.init))))
                    return
                }
                var out: [String] = []
                out.append("\(zooEntry.name)  (\(zooEntry.collection), from \(zooEntry.zooFile))")
                out.append("")
                out.append("Metadata:")
                for pair in zooEntry.metadata { out.append("  \(pair[0]): \(pair[1])") }
                out.append("  Parameters (SkelZoo model): \(parameters)")
                out.append("")
                out.append("Published scores:")
                var footnotes: [String] = []
                for score in zooEntry.scores {
                    var mark = ""
                    if let footnote = score.footnote {
                        footnotes.append(footnote)
                        mark = String(repeating: "*", count: footnotes.count)
                    }
                    out.append("  \(score.dataset)  \(score.metric): \(score.value)\(mark)  [\(score.source)]")
                }
                for (index, footnote) in footnotes.enumerated() { out.append("  \(String(repeating: "*", count: index + 1)) \(footnote)") }
                out.append("")
                out.append("Published recipe:")
                out.append(contentsOf: recipe.lines.map { "  " + $0 })
                out.append("")
                out.append("Config: \(zooEntry.config)")
                out.append(contentsOf: ConfigSummary.lines(config).map { "  " + $0 })
                out.append("")
                out.append("Checkpoint: \(state.rawValue)")
                if let url = zooEntry.weightsURL { out.append("  url: \(url)") }
                if let sha = zooEntry.sha256 { out.append("  sha256: \(sha)") }
                if let prefix = zooEntry.sha256Prefix { out.append("  sha256 prefix (from the file name): \(prefix)") }
                if let log = zooEntry.trainingLog { out.append("  training log: \(log)") }
                if let log = zooEntry.trainingJSONLog { out.append("  training json log: \(log)") }
                for url in zooEntry.dataURLs { out.append("  data: \(url)") }
                if let reference = zooEntry.reference {
                    out.append("")
                    out.append("Reference run: seed \(reference.seed), \(reference.threads) thread(s), weights sha256 \(reference.weightsSHA256)")
                    out.append("  arithmetic \(reference.arithmetic), recorded on \(reference.cpu)\(reference.isa.map { " (\($0))" } ?? "")")
                }
                if !zooEntry.notes.isEmpty {
                    out.append("")
                    out.append("Notes:")
                    for note in zooEntry.notes { out.append("  - \(note)") }
                }
                out.append("")
                if runs.isEmpty {
                    out.append("Runs: none recorded")
                } else {
                    out.append("Runs:")
                    for run in runs {
                        let scores = try context.registry.scores(ofRun: run.id ?? 0)
                            .map { "\($0.metric)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ")
                        let layout = run.gpus.map { gpus in " gpus=\(gpus)\(run.perGPUBatch.map { "x\($0)" } ?? "")" } ?? ""
                        out.append("  #\(run.id ?? 0) \(run.mode) seed=\(run.seed.map(String.init) ?? "-")\(layout) \(run.displayStatus) \(scores)")
                    }
                }
                try Console.output(out.joined(separator: "\n"))
            }
        }
    }
}

/// A run as `show --json` prints it: the registry row plus `crashed` (still `running` there, but its process is gone).
struct ShownRun: Encodable {
    var run: Run

    enum CodingKeys: String, CodingKey { case crashed }

    func encode(to encoder: any Encoder) throws {
        try run.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run.crashed, forKey: .crashed)
    }
}
