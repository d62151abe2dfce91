import Foundation
import Testing
@testable import ZooConfig

@Suite struct ZooFileTests {
    static func stgcnZoo() throws -> ZooFile {
        let text = try #require(ZooSources.embeddedText("zoo/stgcn.yml"))
        return try ZooFile.parse(text, file: "zoo/stgcn.yml", name: "stgcn.yml")
    }

    struct Published: Sendable, CustomTestStringConvertible {
        var name: String, top1: String, mean: String?, agcnTop1: String?, agcnMean: String?, prefix: String
        var testDescription: String { name }
    }

    static let table: [Published] = [
        .init(name: "stgcn_80e_ntu60_xsub_keypoint", top1: "86.91", mean: nil, agcnTop1: nil, agcnMean: nil, prefix: "e7bb9653"),
        .init(name: "stgcn_80e_ntu60_xsub_keypoint_3d", top1: "84.61", mean: nil, agcnTop1: nil, agcnMean: nil, prefix: "13e7ccf0"),
        .init(name: "stgcn_80e_babel60", top1: "42.39", mean: "28.28", agcnTop1: "41.14", agcnMean: "24.46", prefix: "3d206418"),
        .init(name: "stgcn_80e_babel60_wfl", top1: "40.31", mean: "29.79", agcnTop1: "33.41", agcnMean: "30.42", prefix: "1a9102d7"),
        .init(name: "stgcn_80e_babel120", top1: "38.95", mean: "20.58", agcnTop1: "38.41", agcnMean: "17.56", prefix: "e41eb6d7"),
        .init(name: "stgcn_80e_babel120_wfl", top1: "33.00", mean: "24.33", agcnTop1: "27.91", agcnMean: "26.17", prefix: "3f2c100d"),
    ]

    @Test func zooHoldsTheSixEntriesInOrder() throws {
        #expect(try Self.stgcnZoo().entries.map(\.name) == Self.table.map(\.name))
    }

    @Test(arguments: table) func publishedScoresAreThePublishedStrings(_ expected: Published) throws {
        let entry = try #require(try Self.stgcnZoo().entries.first { $0.name == expected.name })
        let mmaction = entry.scores.filter { $0.source.hasPrefix("MMAction2") }
        #expect(mmaction.first { $0.metric == "Top 1 Accuracy" }?.value == expected.top1)
        #expect(mmaction.first { $0.metric == "Mean Top 1 Accuracy" }?.value == expected.mean)
        let agcn = entry.scores.filter { $0.source.contains("AGCN") }
        #expect(agcn.first { $0.metric == "Top 1 Accuracy" }?.value == expected.agcnTop1)
        #expect(agcn.first { $0.metric == "Mean Top 1 Accuracy" }?.value == expected.agcnMean)
        #expect(entry.sha256Prefix == expected.prefix)
        #expect(entry.weightsURL?.hasSuffix("\(expected.name)-\(expected.prefix).pth") == true)
    }

    @Test func onlyTheBabel120WFLMeanTop1CarriesThePaperFootnote() throws {
        let footnoted = try Self.stgcnZoo().entries.flatMap { entry in entry.scores.filter { $0.footnote != nil }.map { (entry.name, $0) } }
        #expect(footnoted.count == 1)
        #expect(footnoted.first?.0 == "stgcn_80e_babel120_wfl")
        #expect(footnoted.first?.1.value == "26.17")
        #expect(footnoted.first?.1.footnote?.contains("paper") == true)
    }

    @Test func metadataKeepsThePublishedParameterCountsAndBatchSizes() throws {
        let entries = try Self.stgcnZoo().entries
        #expect(entries.map { $0.metadata("Parameters") } == ["3088704", "3088704", "3088704", "3088704", "3104320", "3104320"])
        #expect(entries.map { $0.metadata("Batch Size") } == ["16", "32", "128", "128", "128", "128"])
        #expect(entries.map { $0.metadata("Training Resources") } == ["2 gpus", "1 gpu", "8 gpus", "8 gpus", "8 gpus", "8 gpus"])
    }

    @Test func unknownKeyNamesFileLineAndKey() {
        let yaml = """
        Collections:
          - Name: STGCN
        Models:
          - Name: a
            Config: c.yml
            In Collection: STGCN
            Metadata: {Keypoint: 2d}
            Results: []
            Wieghts: x
        """
        #expect(throws: ConfigError(file: "z.yml", line: 9, key: "Models[0].Wieghts",
                                    message: "unknown key (expected one of: Config, Data, Fusion, In Collection, Metadata, Name, Notes, Recipe, Reference Run, Results, Training Json Log, Training Log, Weights, Weights SHA256, Weights SHA256 Prefix)")) {
            try ZooFile.parse(yaml, file: "z.yml", name: "z.yml")
        }
    }

    @Test func malformedYAMLNamesTheLine() {
        do {
            _ = try ZooFile.parse("Collections:\n  - Name: [unclosed\nModels: []\n", file: "bad.yml", name: "bad.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "bad.yml")
            #expect(error.line != nil)
            #expect(error.message.hasPrefix("malformed YAML"))
        }
    }

    @Test func metricMustBeANumberString() {
        let yaml = "Collections: [{Name: S}]\nModels:\n  - {Name: a, Config: c, In Collection: S, Metadata: {}, Results: [{Dataset: D, Task: T, Source: s, Metrics: {Top 1 Accuracy: high}}]}\n"
        #expect(throws: ConfigError.self) { try ZooFile.parse(yaml, file: "z.yml", name: "z.yml") }
    }
}
