import Foundation
import Testing
@testable import ZooConfig

/// The MMAction2 1.x zoo: 16 ST-GCN, 8 ST-GCN++ and 8 2s-AGCN entries and the READMEs' fusion rows, as published in
/// MMAction2 1.2.0 (metafile.yml and README.md of configs/skeleton/{stgcn,stgcnpp,2s-agcn}).
@Suite struct Zoo1xTests {
    static let files = ["stgcn1x.yml", "stgcnpp.yml", "2s-agcn.yml"]

    static func zoo(_ name: String) throws -> ZooFile {
        let path = "zoo/\(name)"
        return try ZooFile.parse(try #require(ZooSources.embeddedText(path)), file: path, name: name)
    }

    static func entries() throws -> [ZooEntry] { try files.flatMap { try zoo($0).entries } }

    struct Published: Sendable, CustomTestStringConvertible {
        var name: String, collection: String, top1: String, prefix: String
        var testDescription: String { name }
    }

    /// Written down from the MMAction2 1.2.0 wheel's metafiles (Top-1 exactly as the YAML text has it).
    static let table: [Published] = [
        .init(name: "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN-1x", top1: "88.95", prefix: "484a394a"),
        .init(name: "stgcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN-1x", top1: "91.69", prefix: "c4b44488"),
        .init(name: "stgcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN-1x", top1: "86.90", prefix: "f18eb408"),
        .init(name: "stgcn_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN-1x", top1: "87.86", prefix: "99c60e2d"),
        .init(name: "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN-1x", top1: "88.11", prefix: "850308e1"),
        .init(name: "stgcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN-1x", top1: "88.76", prefix: "9c8d2970"),
        .init(name: "stgcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN-1x", top1: "86.06", prefix: "927648ea"),
        .init(name: "stgcn_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN-1x", top1: "85.49", prefix: "593162ca"),
        .init(name: "stgcn_8xb16-joint-u100-80e_ntu120-xsub-keypoint-2d", collection: "STGCN-1x", top1: "83.19", prefix: "612416c6"),
        .init(name: "stgcn_8xb16-bone-u100-80e_ntu120-xsub-keypoint-2d", collection: "STGCN-1x", top1: "83.36", prefix: "131e63c3"),
        .init(name: "stgcn_8xb16-joint-motion-u100-80e_ntu120-xsub-keypoint-2d", collection: "STGCN-1x", top1: "78.87", prefix: "7cb38ec2"),
        .init(name: "stgcn_8xb16-bone-motion-u100-80e_ntu120-xsub-keypoint-2d", collection: "STGCN-1x", top1: "79.55", prefix: "f5b19892"),
        .init(name: "stgcn_8xb16-joint-u100-80e_ntu120-xsub-keypoint-3d", collection: "STGCN-1x", top1: "82.15", prefix: "0484f579"),
        .init(name: "stgcn_8xb16-bone-u100-80e_ntu120-xsub-keypoint-3d", collection: "STGCN-1x", top1: "84.28", prefix: "bc007510"),
        .init(name: "stgcn_8xb16-joint-motion-u100-80e_ntu120-xsub-keypoint-3d", collection: "STGCN-1x", top1: "78.93", prefix: "5d54f525"),
        .init(name: "stgcn_8xb16-bone-motion-u100-80e_ntu120-xsub-keypoint-3d", collection: "STGCN-1x", top1: "80.02", prefix: "3cb0e4e1"),
        .init(name: "stgcnpp_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN++", top1: "89.29", prefix: "86e1e77a"),
        .init(name: "stgcnpp_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN++", top1: "92.30", prefix: "cd11a691"),
        .init(name: "stgcnpp_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN++", top1: "87.30", prefix: "19a34aba"),
        .init(name: "stgcnpp_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "STGCN++", top1: "88.76", prefix: "c02a0749"),
        .init(name: "stgcnpp_8xb16-joint-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN++", top1: "89.14", prefix: "4e455ce3"),
        .init(name: "stgcnpp_8xb16-bone-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN++", top1: "90.21", prefix: "7f356072"),
        .init(name: "stgcnpp_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN++", top1: "86.67", prefix: "650de5cc"),
        .init(name: "stgcnpp_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "STGCN++", top1: "87.45", prefix: "b00440d2"),
        .init(name: "2s-agcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", collection: "AGCN", top1: "88.60", prefix: "4c0ed77e"),
        .init(name: "2s-agcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d", collection: "AGCN", top1: "91.59", prefix: "293878b5"),
        .init(name: "2s-agcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "AGCN", top1: "88.02", prefix: "0c86e3a1"),
        .init(name: "2s-agcn_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-2d", collection: "AGCN", top1: "88.82", prefix: "87996f0d"),
        .init(name: "2s-agcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-3d", collection: "AGCN", top1: "88.26", prefix: "24dabf78"),
        .init(name: "2s-agcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-3d", collection: "AGCN", top1: "89.22", prefix: "abe70a7f"),
        .init(name: "2s-agcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "AGCN", top1: "86.73", prefix: "923cd3c3"),
        .init(name: "2s-agcn_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-3d", collection: "AGCN", top1: "86.41", prefix: "3d8f6f43"),
    ]

    struct Fusion: Sendable, CustomTestStringConvertible {
        var name: String, top1: String, components: [String], weights: [Double]
        var testDescription: String { name }
    }

    /// The READMEs' two-stream (joint:bone = 1:1) and four-stream (joint:joint-motion:bone:bone-motion = 2:1:2:1) rows.
    static let fusions: [Fusion] = {
        let rows: [(String, String, String, String)] = [
            ("stgcn", "ntu60-xsub-keypoint-2d", "92.12", "92.34"), ("stgcn", "ntu60-xsub-keypoint-3d", "90.14", "90.39"),
            ("stgcn", "ntu120-xsub-keypoint-2d", "84.84", "85.23"), ("stgcn", "ntu120-xsub-keypoint-3d", "85.68", "86.19"),
            ("stgcnpp", "ntu60-xsub-keypoint-2d", "92.61", "92.77"), ("stgcnpp", "ntu60-xsub-keypoint-3d", "91.39", "91.87"),
            ("2s-agcn", "ntu60-xsub-keypoint-2d", "91.95", "92.34"), ("2s-agcn", "ntu60-xsub-keypoint-3d", "90.27", "90.89"),
        ]
        return rows.flatMap { family, data, two, four -> [Fusion] in
            func name(_ stream: String) -> String { "\(family)_8xb16-\(stream)-u100-80e_\(data)" }
            return [
                Fusion(name: name("two-stream"), top1: two, components: [name("joint"), name("bone")], weights: [1, 1]),
                Fusion(name: name("four-stream"), top1: four, components: [name("joint"), name("joint-motion"), name("bone"), name("bone-motion")],
                       weights: [2, 1, 2, 1]),
            ]
        }
    }()

    @Test func theThreeFilesHoldThe32EntriesInUpstreamOrderThenTheirFusions() throws {
        let entries = try Self.entries()
        #expect(entries.filter { $0.fusion == nil }.map(\.name) == Self.table.map(\.name))
        #expect(Set(entries.filter { $0.fusion != nil }.map(\.name)) == Set(Self.fusions.map(\.name)))
        #expect(try Self.zoo("stgcn1x.yml").entries.filter { $0.fusion == nil }.count == 16)
        #expect(try Self.zoo("stgcnpp.yml").entries.filter { $0.fusion == nil }.count == 8)
        #expect(try Self.zoo("2s-agcn.yml").entries.filter { $0.fusion == nil }.count == 8)
        #expect(entries.count == 32 + 16)
    }

    @Test(arguments: table) func publishedTop1IsThePublishedStringAndThePrefixIsTheFileName(_ expected: Published) throws {
        let entry = try #require(try Self.entries().first { $0.name == expected.name })
        #expect(entry.collection == expected.collection)
        #expect(entry.published("Top 1 Accuracy")?.value == expected.top1)
        #expect(entry.published("Top 1 Accuracy")?.source.hasPrefix("MMAction2 1.2.0 model zoo") == true)
        #expect(entry.sha256Prefix == expected.prefix)
        let family = String(expected.name.prefix { $0 != "_" })
        let url = try #require(entry.weightsURL)
        #expect(url.hasPrefix("https://download.openmmlab.com/mmaction/v1.0/skeleton/\(family)/\(expected.name)/\(expected.name)_20"))
        #expect(url.hasSuffix("-\(expected.prefix).pth"))
        #expect(entry.trainingLog == "https://download.openmmlab.com/mmaction/v1.0/skeleton/\(family)/\(expected.name)/\(expected.name).log")
        let data = expected.name.contains("ntu120") ? "ntu120" : "ntu60"
        #expect(entry.dataURLs == ["https://download.openmmlab.com/mmaction/v1.0/skeleton/data/\(data)_\(entry.modality).pkl"])
        #expect(entry.recipe?.gpus == 8)
    }

    @Test(arguments: fusions) func fusionEntriesNameTheirComponentsAndWeights(_ expected: Fusion) throws {
        let entries = try Self.entries()
        let entry = try #require(entries.first { $0.name == expected.name })
        let fusion = try #require(entry.fusion)
        #expect(fusion.components.map(\.entry) == expected.components)
        #expect(fusion.components.map(\.weight) == expected.weights)
        #expect(fusion.applySoftmax == false)
        #expect(entry.published("Top 1 Accuracy")?.value == expected.top1)
        #expect(entry.published("Top 1 Accuracy")?.source.contains("README.md") == true)
        #expect(entry.config == nil && entry.weightsURL == nil && entry.sha256Prefix == nil)
        for component in expected.components {
            let stream = try #require(entries.first { $0.name == component })
            #expect(stream.collection == entry.collection && stream.dataset == entry.dataset)
        }
    }

    @Test func collectionsAreOnePerFamilyAndDistinctFromThe0xSTGCN() throws {
        #expect(try Self.files.map { try Self.zoo($0).collections.map(\.name) } == [["STGCN-1x"], ["STGCN++"], ["AGCN"]])
        let all = try ZooSources.load(overrides: []).parse().flatMap(\.collections).map(\.name)
        #expect(Set(all).count == all.count)
    }

    @Test func everyZooEntryWithAModelHasAConfigThatParses() throws {
        let sources = try ZooSources.load(overrides: [])
        let entries = try sources.parse().flatMap(\.entries)
        #expect(entries.count >= 8 + 48)
        for entry in entries where entry.fusion == nil {
            let config = try sources.entryConfig(for: entry)
            if entry.zooFile == "stgcn.yml" || entry.zooFile == "demo.yml" {
                guard case .mmaction0x = config else { Issue.record("\(entry.name): expected a 0.x config"); continue }
            } else {
                guard case .mmaction1x(let config) = config else { Issue.record("\(entry.name): expected a 1.x config"); continue }
                #expect(config.workDir == "./work_dirs/\(entry.name)/")
                #expect(entry.config == "configs/\(["stgcn1x.yml": "stgcn1x", "stgcnpp.yml": "stgcnpp", "2s-agcn.yml": "2s-agcn"][entry.zooFile] ?? "?")/\(entry.name).yml")
            }
        }
    }

    @Test func aFusionEntryHasNoConfigAndSaysHowToComputeIt() throws {
        let sources = try ZooSources.load(overrides: [])
        let entry = try #require(try sources.parse().flatMap(\.entries).first { $0.name == Self.fusions[0].name })
        do {
            _ = try sources.configText(for: entry)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("fusion entry"))
            #expect(error.message.contains("skelzoo fuse \(entry.name)"))
        }
    }

    @Test func the1xRecipeIsEightGPUsOfSixteenWithFiveRepeats() throws {
        let sources = try ZooSources.load(overrides: [])
        for name in ["stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", "stgcnpp_8xb16-bone-u100-80e_ntu60-xsub-keypoint-3d",
                     "2s-agcn_8xb16-joint-motion-u100-80e_ntu60-xsub-keypoint-2d"] {
            let entry = try #require(try sources.parse().flatMap(\.entries).first { $0.name == name })
            let recipe = PublishedRecipe.resolve(entry: entry, config: try sources.entryConfig(for: entry))
            #expect(recipe.gpus == 8 && recipe.perGPUBatch == 16 && recipe.totalBatch == 128)
            #expect(recipe.epochs == 16 && recipe.repeatTimes == 5 && recipe.passes == 80)
            #expect(recipe.testClips == 10 && recipe.testBatchPerGPU == 1)
            #expect(recipe.valIsTest)
            // The metafile's "Epochs: 80" counts passes; nothing else disagrees.
            #expect(recipe.disagreements.count == 1)
            #expect(recipe.disagreements.first?.contains("counts passes") == true)
        }
    }

    // MARK: - Bad fusion entries

    static func fusionZoo(_ fusion: String, config: String = "") -> String {
        """
        Collections:
          - Name: F
        Models:
          - Name: j
            Config: j.yml
            In Collection: F
            Metadata: {Keypoint: 2d}
            Results: []
          - Name: b
            Config: b.yml
            In Collection: F
            Metadata: {Keypoint: 2d}
            Results: []
          - Name: f
        \(config)    In Collection: F
            Metadata: {Keypoint: 2d}
            Results: []
            Fusion:
        \(fusion)
        """
    }

    struct BadFusion: Sendable, CustomTestStringConvertible {
        var id: String, fusion: String, config: String = "", message: String
        var testDescription: String { id }
    }

    static let badFusions: [BadFusion] = [
        .init(id: "unknown component", fusion: "      Components: [{Entry: j, Weight: 1}, {Entry: x, Weight: 1}]\n      Apply Softmax: false",
              message: "component 'x' is not an entry of this file"),
        .init(id: "zero weight", fusion: "      Components: [{Entry: j, Weight: 1}, {Entry: b, Weight: 0}]\n      Apply Softmax: false",
              message: "expected a weight > 0, found 0.0"),
        .init(id: "one component", fusion: "      Components: [{Entry: j, Weight: 1}]\n      Apply Softmax: false",
              message: "expected 2 to 16 components, found 1"),
        .init(id: "twice the same", fusion: "      Components: [{Entry: j, Weight: 1}, {Entry: j, Weight: 1}]\n      Apply Softmax: false",
              message: "a component is named twice; give it one entry with the summed weight"),
        .init(id: "softmax unstated", fusion: "      Components: [{Entry: j, Weight: 1}, {Entry: b, Weight: 1}]",
              message: "missing key 'Apply Softmax'"),
        .init(id: "config and fusion", fusion: "      Components: [{Entry: j, Weight: 1}, {Entry: b, Weight: 1}]\n      Apply Softmax: false",
              config: "    Config: f.yml\n", message: "a fusion entry has no Config of its own; remove one of Config and Fusion"),
    ]

    @Test(arguments: badFusions) func badFusionEntriesAreRefusedWithTheirReason(_ bad: BadFusion) {
        do {
            _ = try ZooFile.parse(Self.fusionZoo(bad.fusion, config: bad.config), file: "f.yml", name: "f.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "f.yml")
            #expect(error.message == bad.message)
            #expect(error.key.hasPrefix("Models[2].Fusion"))
        }
    }

    @Test func anEntryWithNeitherConfigNorFusionIsRefused() {
        let yaml = "Collections:\n  - Name: F\nModels:\n  - Name: a\n    In Collection: F\n    Metadata: {}\n    Results: []\n"
        #expect(throws: ConfigError(file: "z.yml", line: 4, key: "Models[0]", message: "an entry needs Config (a model) or Fusion (components and weights)")) {
            try ZooFile.parse(yaml, file: "z.yml", name: "z.yml")
        }
    }
}
