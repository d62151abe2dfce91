import ArgumentParser
import Foundation
import ZooHarness

extension SkelZoo {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the results tables (markdown and SVG) from the registry; nothing is recomputed.",
            discussion: """
            One table per collection: Entry, Metric, Published (with source and footnotes), Measured (mean ± std over
            seeds, n), Δ, Verdict, and a link to each entry's run details. The verdict rules are stated under each table.

            Examples:
              skelzoo report
              skelzoo report --out reports/ --zoo zoo/demo.yml
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Folder to write into.")
        var out: String = "reports"

        func run() throws {
            try Console.run {
                let context = try global.context()
                let written = try ReportWriter.write(context: context, to: URL(fileURLWithPath: out))
                for path in written { try Console.output(path) }
            }
        }
    }
}
