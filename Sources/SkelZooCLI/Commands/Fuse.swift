import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooRegistry

extension SkelZoo {
    struct Fuse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fuse the per-stream test results of a fusion entry, as MMAction2's report_accuracy.py does.",
            discussion: """
            A fusion entry (e.g. the READMEs' two-stream joint:bone = 1:1 and four-stream joint:joint-motion:bone:bone-motion
            = 2:1:2:1 rows) names its component entries and their weights (`skelzoo show ENTRY`). Give one result file per
            component, made with `skelzoo test COMPONENT CHECKPOINT --ann-file FILE --out FILE.json`, in the order `show`
            lists them, or as COMPONENT=FILE. The fused score of a sample is the weighted sum of the streams' scores
            (pred_score, already the 10-clip mean softmax; no softmax is applied unless the entry says so); top-1, top-5 and
            mean class accuracy follow MMAction2's rules and are printed beside the published number. The streams must list
            the same samples with the same labels. The run is recorded in the registry, so `skelzoo report` shows it.

            Examples:
              skelzoo fuse stgcn_8xb16-two-stream-u100-80e_ntu60-xsub-keypoint-2d joint.json bone.json
              skelzoo fuse stgcn_8xb16-four-stream-u100-80e_ntu60-xsub-keypoint-2d \\
                stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d=j.json stgcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d=b.json \\
                stgcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-2d=jm.json stgcn_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-2d=bm.json --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A fusion entry (see `skelzoo list`; its Modality column says two-stream or four-stream).")
        var entry: String

        @Argument(help: "One `skelzoo test --out` file per component: FILE in the listed order, or COMPONENT=FILE.")
        var results: [String] = []

        @Flag(help: "Print JSON instead of text.")
        var json = false

        struct Output: Encodable {
            struct Stream: Encodable {
                var entry: String
                var weight: Double
                var file: String
                var published: String?
            }
            var entry: String
            var streams: [Stream]
            var applySoftmax: Bool
            var samples: Int
            var classes: Int
            var metrics: [String: Double]
            var published: String?
            var publishedSource: String?

            enum CodingKeys: String, CodingKey {
                case entry, streams, samples, classes, metrics, published
                case applySoftmax = "apply_softmax", publishedSource = "published_source"
            }
        }

        func run() throws {
            try Console.run {
                let context = try global.context()
                let zooEntry = try context.entry(named: entry)
                guard let fusion = zooEntry.fusion else {
                    throw CLIError("'\(zooEntry.name)' is not a fusion entry",
                                   hint: "`skelzoo list` shows the fusion entries (two-stream, four-stream); test a single stream with `skelzoo test`")
                }
                let files = try FuseArguments.assign(results, to: fusion.components.map(\.entry))
                let result = try ScoreFusion.run(zooEntry, fusion: fusion, files: files, context: context, log: Console.log)
                let metrics = Dictionary(uniqueKeysWithValues: result.metrics)
                let published = zooEntry.published("Top 1 Accuracy")
                if json {
                    let output = Output(
                        entry: zooEntry.name,
                        streams: zip(fusion.components, files).map { component, file in
                            Output.Stream(entry: component.entry, weight: component.weight, file: file,
                                          published: context.files.flatMap(\.entries).first { $0.name == component.entry }?
                                              .published("Top 1 Accuracy")?.value)
                        },
                        applySoftmax: fusion.applySoftmax, samples: result.sampleCount, classes: result.classCount, metrics: metrics,
                        published: published?.value, publishedSource: published?.source)
                    try Console.output(try Console.json(output))
                    return
                }
                var lines = ["\(zooEntry.name): \(result.sampleCount) samples, \(result.classCount) classes, \(files.count) streams"
                             + (fusion.applySoftmax ? " (softmax applied to each stream)" : "")]
                for (component, file) in zip(fusion.components, files) {
                    lines.append("  \(FuseArguments.format(component.weight)) x \(component.entry)  [\(file)]")
                }
                for (name, value) in result.metrics { lines.append("\(name): \(String(format: "%.4f", value))") }
                if let published, let top1 = metrics["top1_acc"] {
                    lines.append("published Top 1 Accuracy: \(published.value)  [\(published.source)]; fused: \(String(format: "%.2f", top1 * 100))")
                }
                try Console.output(lines.joined(separator: "\n"))
            }
        }
    }
}

/// Pairs `fuse`'s result arguments with the fusion entry's components.
enum FuseArguments {
    /// `FILE...` in component order, or `COMPONENT=FILE` pairs (all of one kind), to one file per component in order.
    static func assign(_ arguments: [String], to components: [String]) throws -> [String] {
        let named = arguments.map { argument -> (String, String)? in
            guard let equals = argument.firstIndex(of: "=") else { return nil }
            let name = String(argument[..<equals])
            return components.contains(name) ? (name, String(argument[argument.index(after: equals)...])) : nil
        }
        let list = components.map { "  \($0)" }.joined(separator: "\n")
        if named.allSatisfy({ $0 == nil }) {
            guard arguments.count == components.count else {
                throw CLIError("this fusion entry has \(components.count) components; got \(arguments.count) result file(s)",
                               hint: "give one `skelzoo test --out` file per component, in this order (or as COMPONENT=FILE):\n\(list)")
            }
            return arguments
        }
        guard named.allSatisfy({ $0 != nil }) else {
            throw CLIError("mix of COMPONENT=FILE and plain files", hint: "name every file as COMPONENT=FILE, or none; the components are:\n\(list)")
        }
        var byName: [String: String] = [:]
        for case let (name, file)? in named {
            guard byName.updateValue(file, forKey: name) == nil else { throw CLIError("component \(name) is given twice") }
        }
        let missing = components.filter { byName[$0] == nil }
        guard missing.isEmpty else {
            throw CLIError("no result file for \(missing.joined(separator: ", "))", hint: "the components are:\n\(list)")
        }
        return components.compactMap { byName[$0] }
    }

    /// A weight as the zoo writes it: `2`, not `2.0`.
    static func format(_ weight: Double) -> String {
        weight == weight.rounded() && abs(weight) < 1e15 ? String(Int(weight)) : String(weight)
    }
}
