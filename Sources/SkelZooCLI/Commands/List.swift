import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooRegistry

extension SkelZoo {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the zoo's models with their published scores and checkpoint state.",
            discussion: """
            Top-1 and Mean Top-1 are the primary published values (MMAction2's model zoo for ST-GCN), in percent.
            Checkpoint: absent (not in the cache), cached (present, not verified), verified (sha256 checked),
            corrupt (hash mismatch).

            Examples:
              skelzoo list
              skelzoo list --dataset BABEL-60 --json
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only entries whose dataset is this (e.g. NTU60-XSub, BABEL-120); case-insensitive.")
        var dataset: String?

        @Option(help: "Only entries of this collection (e.g. STGCN).")
        var collection: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        struct Row: Encodable {
            var name: String
            var collection: String
            var dataset: String
            var modality: String
            var top1: String?
            var meanTop1: String?
            var checkpoint: String
            enum CodingKeys: String, CodingKey {
                case name, collection, dataset, modality, checkpoint
                case top1 = "top1_acc", meanTop1 = "mean_class_accuracy"
            }
        }

        func run() throws {
            try Console.run {
                let context = try global.context()
                var rows: [Row] = []
                for entry in context.files.flatMap(\.entries) {
                    if let dataset, entry.dataset.lowercased() != dataset.lowercased() { continue }
                    if let collection, entry.collection.lowercased() != collection.lowercased() { continue }
                    rows.append(Row(name: entry.name, collection: entry.collection, dataset: entry.dataset,
                                    modality: entry.modality, top1: entry.published("Top 1 Accuracy")?.value,
                                    meanTop1: entry.published("Mean Top 1 Accuracy")?.value,
                                    checkpoint: try context.checkpointState(entry).rawValue))
                }
                if json {
                    try Console.output(try Console.json(rows))
                    return
                }
                try Console.output(TextTable.render(
                    header: ["Name", "Dataset", "Modality", "Top-1", "Mean Top-1", "Checkpoint"],
                    rows: rows.map { [$0.name, $0.dataset, $0.modality, $0.top1 ?? "-", $0.meanTop1 ?? "-", $0.checkpoint] },
                    rightAligned: [3, 4]))
                if rows.isEmpty { Console.info("no entries match") }
            }
        }
    }
}

/// Plain-text tables with aligned columns.
enum TextTable {
    static func render(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }
}
