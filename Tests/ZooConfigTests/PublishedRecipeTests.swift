import Foundation
import Testing
@testable import ZooConfig

/// The published recipe of every zoo entry, from its metadata and config.
@Suite struct PublishedRecipeTests {
    static func recipe(_ name: String) throws -> PublishedRecipe {
        let sources = try ZooSources.load(overrides: [])
        let entry = try #require(try sources.parse().flatMap(\.entries).first { $0.name == name })
        return PublishedRecipe.resolve(entry: entry, config: try sources.config(for: entry))
    }

    struct Expected: Sendable, CustomTestStringConvertible {
        var name: String, gpus: Int, perGPU: Int, epochs: Int, repeatTimes: Int, launcher: String, disagreements: Int
        var testDescription: String { name }
    }

    static let table: [Expected] = [
        .init(name: "stgcn_80e_ntu60_xsub_keypoint", gpus: 2, perGPU: 16, epochs: 80, repeatTimes: 1, launcher: "slurm", disagreements: 0),
        .init(name: "stgcn_80e_ntu60_xsub_keypoint_3d", gpus: 1, perGPU: 32, epochs: 80, repeatTimes: 1,
              launcher: "not published (on 1 GPU it does not change the arithmetic)", disagreements: 0),
        .init(name: "stgcn_80e_babel60", gpus: 8, perGPU: 16, epochs: 16, repeatTimes: 5, launcher: "not published", disagreements: 2),
        .init(name: "stgcn_80e_babel60_wfl", gpus: 8, perGPU: 16, epochs: 16, repeatTimes: 5, launcher: "not published", disagreements: 2),
        .init(name: "stgcn_80e_babel120", gpus: 8, perGPU: 16, epochs: 16, repeatTimes: 5, launcher: "not published", disagreements: 2),
        .init(name: "stgcn_80e_babel120_wfl", gpus: 8, perGPU: 16, epochs: 16, repeatTimes: 5, launcher: "not published", disagreements: 2),
        .init(name: "demo_stgcn_coco2d_ce", gpus: 1, perGPU: 16, epochs: 8, repeatTimes: 1, launcher: "none (one process)", disagreements: 0),
        .init(name: "demo_stgcn_ntu3d_cbfocal", gpus: 1, perGPU: 16, epochs: 6, repeatTimes: 2, launcher: "none (one process)", disagreements: 0),
    ]

    @Test(arguments: table) func everyEntryHasItsPublishedRecipe(_ expected: Expected) throws {
        let recipe = try Self.recipe(expected.name)
        #expect(recipe.gpus == expected.gpus)
        #expect(recipe.defaultGPUs == expected.gpus)
        #expect(recipe.perGPUBatch == expected.perGPU)
        #expect(recipe.totalBatch == expected.gpus * expected.perGPU)
        #expect(recipe.epochs == expected.epochs && recipe.repeatTimes == expected.repeatTimes)
        #expect(recipe.passes == expected.epochs * expected.repeatTimes)
        #expect(recipe.launcher == expected.launcher)
        #expect(recipe.precision == "fp32")
        #expect(recipe.testClips == 1 && recipe.testCrops == 1)
        #expect(recipe.disagreements.count == expected.disagreements, "\(recipe.disagreements)")
    }

    @Test func ntu60KeypointIsTwoGPUsBySixteenOnSlurm() throws {
        let recipe = try Self.recipe("stgcn_80e_ntu60_xsub_keypoint")
        #expect(recipe.lines.first == "GPUs: 2 GPUs x 16 per GPU = total batch 32  [metafile Training Resources (2 gpus)]")
        #expect(recipe.launcherSource?.contains("Slurm") == true)
        #expect(recipe.lrSchedule == "step by epoch: lr 0.1, x0.1 at epochs 10, 50")
        #expect(recipe.trainAnnotations == "data/posec3d/ntu60_xsub_train.pkl")
        #expect(recipe.valIsTest)
        #expect(recipe.lines.contains { $0.contains("val and test are the same split") })
    }

    @Test func babelSaysItsMetafileBatchIsTheTotalAndItsEpochsArePasses() throws {
        let recipe = try Self.recipe("stgcn_80e_babel60")
        #expect(recipe.disagreements.contains("the metafile's Batch Size 128 is the total (8 GPUs x 16); the config's videos_per_gpu is 16"))
        #expect(recipe.disagreements.contains { $0.hasPrefix("the metafile's Epochs 80 counts passes over the data: the config runs 16 epochs") })
        #expect(recipe.lines.filter { $0.hasPrefix("sources disagree: ") }.count == 2)
        #expect(recipe.lrSchedule == "step by epoch: lr 0.1, x0.1 at epochs 10, 14")
    }

    @Test(arguments: [("2 gpus", 2), ("1 gpu", 1), ("8 GPUs", 8), ("2 CPU cores", nil), ("gpus", nil), ("0 gpus", nil)] as [(String, Int?)])
    func gpuCountIsReadFromTrainingResources(_ text: String, _ count: Int?) {
        #expect(PublishedRecipe.gpuCount(text) == count)
    }

    static func entry(recipe: String, resources: String = "2 gpus", batch: String = "16") throws -> ZooEntry {
        let text = """
        Collections:
          - Name: C
        Models:
          - Name: x
            Config: configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml
            In Collection: C
            Metadata:
              Batch Size: \(batch)
              Training Resources: \(resources)
        \(recipe)
            Results:
              - Dataset: D
                Task: T
                Source: S
                Metrics:
                  Top 1 Accuracy: "1.00"

        """
        return try #require(try ZooFile.parse(text, file: "x.yml", name: "x.yml").entries.first)
    }

    @Test func aRecipeThatContradictsTheMetafileSaysSo() throws {
        let sources = try ZooSources.load(overrides: [])
        let entry = try Self.entry(recipe: "    Recipe: {GPUs: 4}", batch: "48")
        let recipe = PublishedRecipe.resolve(entry: entry, config: try sources.config(for: entry))
        #expect(recipe.gpus == 4 && recipe.gpusSource == "zoo Recipe")
        #expect(recipe.disagreements.contains("the metafile's Training Resources says 2 GPU(s), the zoo's Recipe says 4"))
        #expect(recipe.disagreements.contains { $0.hasPrefix("the metafile's Batch Size 48 is neither") })
    }

    @Test(arguments: ["    Recipe: {GPUs: 0}", "    Recipe: {Precision: fp8}", "    Recipe: {Nodes: 2}"])
    func aBadRecipeBlockIsRefused(_ block: String) throws {
        #expect(throws: ConfigError.self) { try Self.entry(recipe: block) }
    }

    @Test func unpublishedGPUsDefaultToOneAndSaySo() throws {
        let sources = try ZooSources.load(overrides: [])
        let entry = try Self.entry(recipe: "", resources: "a cluster")
        let recipe = PublishedRecipe.resolve(entry: entry, config: try sources.config(for: entry))
        #expect(recipe.gpus == nil && recipe.defaultGPUs == 1 && recipe.totalBatch == nil)
        #expect(recipe.gpusSource == "not published (Training Resources: a cluster)")
        #expect(recipe.lines.first == "GPUs: GPUs not published; 16 per GPU  [not published (Training Resources: a cluster)]")
    }
}
