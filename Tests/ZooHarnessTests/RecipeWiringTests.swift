import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooIO
import ZooRegistry
import ZooReport
import ZooTestSupport

/// Issue 16 through the harness: retrains carry their recipe against the published one, `--seeds auto` runs under its
/// rule and is judged against the interval, and a data file other than the reference run's is said.
@Suite struct RecipeWiringTests {
    /// A tiny entry whose published run used 2 GPUs and (per its reference run) a train file with another sha256.
    static func context(_ dir: URL) throws -> ZooContext {
        let zooDir = dir.appending(path: "zoo-src")
        let other = String(repeating: "ab", count: 32)
        let yaml = """
        Collections: [{Name: Tiny}]
        Models:
          - Name: tiny_demo
            Config: configs/tiny.yml
            In Collection: Tiny
            Metadata: {Keypoint: 2d}
            Recipe: {GPUs: 2, Precision: fp32}
            Results:
              - {Dataset: Synthetic, Task: Skeleton-based Action Recognition, Source: reference run, Metrics: {Top 1 Accuracy: "50.00"}}
            Reference Run: {Seed: 0, Weights SHA256: \(String(repeating: "0", count: 64)), CPU: test, Arithmetic: portable-1, Threads: 1,
                            Data SHA256: {train: \(other)}}

        """
        try AtomicFile.write(Data(yaml.utf8), to: zooDir.appending(path: "zoo/tiny.yml"))
        try AtomicFile.write(Data(HarnessFixtures.configText.utf8), to: zooDir.appending(path: "configs/tiny.yml"))
        return try ZooContext(home: dir.appending(path: "home"), overrides: [zooDir.appending(path: "zoo")])
    }

    static func options(_ context: ZooContext) -> Reproducer.Options {
        var options = Reproducer.Options(dataRoot: context.home, threads: 2)
        options.mode = .train
        return options
    }

    @Test func aRetrainOnOneGPUSaysHowItsRecipeDiffersFromThePublishedOne() throws {
        let context = try Self.context(Fixtures.temporaryDirectory("recipe-wiring"))
        var options = Self.options(context)
        options.gpus = 1
        var warnings: [String] = []
        let log = HarnessLog(info: { if $0.contains("warning") { warnings.append($0) } }, error: { _, _ in }, progress: { _, _ in { _, _, _ in } })
        let outcomes = try Reproducer.run(try context.chosenEntries([]), options: options, context: context, batch: "b1", log: log)
        #expect(outcomes.first?.status == .ran)
        #expect(warnings.contains { $0.contains("the train annotation file differs from the one the published run used") })

        let entry = try context.entry(named: "tiny_demo")
        let report = try ReportBuilder.entry(entry, registry: context.registry, batch: "b1", config: try ReportBuilder.config(of: entry, context: context))
        let comparison = try #require(report.recipeComparison)
        #expect(comparison.published.gpus == 2 && comparison.run.gpus == 1)
        #expect(comparison.differences.first == "trained on 1 GPU-equivalent with a total batch of 8; the published run used 2 x 8 = 16")
        #expect(comparison.differences.contains { $0.hasPrefix("the train annotation file differs from the published run's (sha256 ") })
        // The report's collections carry it too (the config read through the context).
        let collections = try ReportBuilder.collections(context)
        let tiny = try #require(collections.first { $0.name == "Tiny" }?.entries.first)
        #expect(tiny.recipeComparison == comparison)
    }

    @Test func seedsAutoRunsAtLeastThreeSeedsAndIsJudgedAgainstTheInterval() throws {
        let context = try Self.context(Fixtures.temporaryDirectory("recipe-auto"))
        var options = Self.options(context)
        options.seedRule = SeedRule(halfWidth: 0.5, maximum: 3)
        let outcome = try #require(try Reproducer.run(try context.chosenEntries([]), options: options, context: context, batch: "auto", log: .silent).first)
        #expect(outcome.status == .ran)
        #expect(outcome.weightsSHA256?.count == 3)
        let interval = try #require(outcome.interval)
        #expect(interval.n == 3)
        #expect(outcome.seedRule == SeedStopping.rule(halfWidth: 0.5, maximum: 3))
        let runs = try context.registry.runs(for: "tiny_demo")
        #expect(runs.map(\.seed).sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 1, 2])
        #expect(runs.allSatisfy { $0.seedRuleHalfWidth == 0.5 && $0.seedRuleMaximum == 3 })
        let report = try ReportBuilder.entry(try context.entry(named: "tiny_demo"), registry: context.registry, batch: "auto")
        #expect(report.seedRule == SeedRule(halfWidth: 0.5, maximum: 3))
        guard case .retrained(let seeds) = report.state else { Issue.record("expected retrains, got \(report.state)"); return }
        let scores = seeds.compactMap { $0.metrics["top1_acc"].map { $0 * 100 } }
        #expect(abs(interval.mean - (try #require(SeedStopping.interval(scores))).mean) < 1e-9)
        let expected = Verdict.retrain(measured: scores, published: 50.0, rule: SeedRule(halfWidth: 0.5, maximum: 3))
        #expect(ReportBuilder.verdict(report).passes == expected.passes || report.reference != nil)
    }
}

extension RecipeWiringTests {
    /// A copy of the published run's log in `$SKELZOO_HOME/logs/` shows up on the report's details page.
    @Test func aLocalTrainingLogIsReadIntoTheDetailsPage() throws {
        let context = try Self.context(Fixtures.temporaryDirectory("recipe-log"))
        _ = try Reproducer.run(try context.chosenEntries([]), options: Self.options(context), context: context, batch: "log", log: .silent)
        let log = """
        2022-01-10 12:00:00,002 - mmaction - INFO - Distributed training: True
        2022-01-10 12:00:20,005 - mmaction - INFO - Epoch [1][20/6]\tlr: 1.000e-01, eta: 0:01:00, time: 0.930, loss: 4.0512
        """
        try AtomicFile.write(Data(log.utf8), to: PublishedLog.folder(home: context.home).appending(path: "tiny_demo.log"))
        let entry = try #require(try ReportBuilder.collections(context).first { $0.name == "Tiny" }?.entries.first)
        #expect(entry.publishedLog.contains("  distributed training: yes (DDP)"))
        #expect(entry.publishedLog.contains("  iterations per epoch: 6"))
        // The tiny training set x RepeatDataset 2 at 8 per GPU: the GPU counts whose layout gives 6 iterations.
        #expect(entry.publishedLog.contains { $0.hasPrefix("  GPU counts that give the logged iterations per epoch for ") })
    }
}
