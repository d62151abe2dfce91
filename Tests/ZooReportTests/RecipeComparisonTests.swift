import Foundation
import Testing
import ZooTestSupport
@testable import ZooReport

@Suite struct RecipeComparisonTests {
    static let published = RecipeSide(gpus: 2, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1,
                                      dataFiles: ["train": String(repeating: "a", count: 64), "val": String(repeating: "b", count: 64)])
    /// One GPU with the per-GPU batch, half the epochs, another val file, fp16 and 10 test clips: every kind of difference.
    static let run = RecipeSide(gpus: 1, perGPUBatch: 16, epochs: 40, repeatTimes: 1, precision: "fp16", testClips: 10,
                                dataFiles: ["train": String(repeating: "a", count: 64), "val": String(repeating: "c", count: 64),
                                            "test": String(repeating: "c", count: 64)])

    @Test func differencesReadAsWordsMostConsequentialFirst() {
        let comparison = RecipeComparison(run: Self.run, published: Self.published)
        #expect(comparison.differences == [
            "trained on 1 GPU-equivalent with a total batch of 16; the published run used 2 x 16 = 32",
            "trained 40 epochs; the published run trained 80 epochs",
            "the val annotation file differs from the published run's (sha256 cccccccccccc… here, bbbbbbbbbbbb… there)",
            "trained in fp16; the published run used fp32",
            "scored with 10 clips per sample; the published score used 1",
        ])
    }

    @Test func recipeDifferenceTextMatchesTheGoldenFile() throws {
        let comparison = RecipeComparison(run: Self.run, published: Self.published)
        let text = comparison.summary + "\n\n" + comparison.table
        let golden = Fixtures.repositoryRoot.appending(path: "Tests/ZooReportTests/Golden/recipe-comparison.md")
        if ProcessInfo.processInfo.environment["SKELZOO_UPDATE_GOLDEN"] == "1" { try Data(text.utf8).write(to: golden) }
        #expect(text == (try String(contentsOf: golden, encoding: .utf8)))
    }

    @Test func theSameTotalBatchOnOtherGPUsStillDiffersInItsBNBatch() {
        let run = RecipeSide(gpus: 1, perGPUBatch: 32, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1)
        let published = RecipeSide(gpus: 2, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1)
        let comparison = RecipeComparison(run: run, published: published)
        #expect(comparison.rows.first { $0.aspect == "total batch" }?.differs == false)
        #expect(comparison.differences == [
            "trained on 1 GPU-equivalent with a total batch of 32; the published run used 2 x 16 = 32",
            "BN normalised batches of 32 samples per GPU; the published run's BN saw 16 per GPU",
        ])
    }

    @Test func unpublishedFactsAreNamedAndNeverCountedAsDifferences() {
        let run = RecipeSide(gpus: 1, perGPUBatch: 16, epochs: 80, repeatTimes: 5, precision: "fp32", testClips: 1,
                             dataFiles: ["train": "ab"])
        let published = RecipeSide(gpus: nil, perGPUBatch: 16, epochs: 80, repeatTimes: 5, precision: "fp32", testClips: 1)
        let comparison = RecipeComparison(run: run, published: published)
        #expect(comparison.differences.isEmpty)
        #expect(comparison.summary == "Same recipe as the published run (not published, so not compared: GPUs, total batch, train annotations (sha256)).")
    }

    @Test func aRetrainThatDiffersSaysHowItsRecipeDifferedFirst() throws {
        var seed = SeedResult(seed: 0, metrics: ["top1_acc": 0.8606], weightsSHA256: nil, curve: [], runID: 1, provenance: [])
        seed.recipe = RecipeSide(gpus: 1, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1)
        let entry = ReportEntry(name: "stgcn", scores: [ReportScore(metric: "Top 1 Accuracy", value: "88.00", source: "zoo")],
                                state: .retrained([seed]),
                                publishedRecipe: RecipeSide(gpus: 2, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1))
        let cells = MarkdownReport.cells(entry, entry.scores[0])
        #expect(cells.passes == false)
        #expect(cells.verdict == "recipe differs: trained on 1 GPU-equivalent with a total batch of 16; the published run used 2 x 16 = 32 → differs")
        #expect(MarkdownReport.recipeCell(entry) == "1 difference")
        let details = MarkdownReport.details(entry)
        let summary = try #require(details.range(of: "Recipe differs from the published run: trained on 1 GPU-equivalent"))
        let runs = try #require(details.range(of: "## Run 1"))
        #expect(summary.lowerBound < runs.lowerBound)
    }
}
