import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooIO
import ZooRegistry
import ZooReport
import ZooTestSupport

/// `reproduce` as a library call against a temp-dir home and registry, without spawning the binary.
@Suite struct ReproducerTests {
    /// A home folder and a `--zoo` folder (zoo/tiny.yml, configs/tiny.yml) holding one tiny entry.
    static func context(weights: String? = nil, reference: (seed: Int, sha: String, arithmetic: String)? = nil,
                        in dir: URL = Fixtures.temporaryDirectory("reproducer")) throws -> ZooContext {
        let zooDir = dir.appending(path: "zoo-src")
        let yaml = HarnessFixtures.zooYAML(weights: weights, weightsPrefix: weights == nil ? nil : "0123abcd", reference: reference)
        try AtomicFile.write(Data(yaml.utf8), to: zooDir.appending(path: "zoo/tiny.yml"))
        try AtomicFile.write(Data(HarnessFixtures.configText.utf8), to: zooDir.appending(path: "configs/tiny.yml"))
        return try ZooContext(home: dir.appending(path: "home"), overrides: [zooDir.appending(path: "zoo")])
    }

    static func options(_ context: ZooContext, mode: ModeChoice = .auto) -> Reproducer.Options {
        var options = Reproducer.Options(dataRoot: context.home, threads: 1)
        options.mode = mode
        return options
    }

    @Test func aRetrainIsRecordedAndABitForBitRerunPassesFromItsTypedVerdict() throws {
        let dir = Fixtures.temporaryDirectory("reproducer-bits")
        let first = try Self.context(in: dir)
        let chosen = try first.chosenEntries([])
        #expect(chosen.map(\.name) == ["tiny_demo"])
        let outcomes = try Reproducer.run(chosen, options: Self.options(first), context: first, batch: "batch-1", log: .silent)
        let outcome = try #require(outcomes.first)
        #expect(outcome.status == .ran && outcome.mode == .train)
        let runs = try first.registry.runs(for: "tiny_demo")
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.status == .succeeded && run.batch == "batch-1" && run.seed == 0 && run.mode == "train")
        #expect(outcome.weightsSHA256 == [try #require(run.weightsSHA256)])
        // The outcome's pass/fail is the typed verdict of the recorded runs, whatever its text says.
        let report = try ReportBuilder.entry(try first.entry(named: "tiny_demo"), registry: first.registry, batch: "batch-1")
        #expect(ReportBuilder.verdict(report).passes == outcome.passes)
        #expect(Reproducer.Summary(outcomes).reproduced + Reproducer.Summary(outcomes).differs == 1)

        // The zoo now names that run as its reference: a rerun in a fresh home reproduces it bit for bit.
        let again = try Self.context(reference: (0, run.weightsSHA256!, try #require(run.arithmetic)), in: dir.appending(path: "again"))
        let rerun = try #require(try Reproducer.run(try again.chosenEntries([]), options: Self.options(again), context: again, log: .silent).first)
        #expect(rerun.weightsSHA256 == outcome.weightsSHA256)
        #expect(rerun.passes == true && rerun.reproduced && rerun.verdict == Verdict.reproducesBitForBit.text)
        #expect(!Reproducer.Summary([rerun]).isFailure)

        // A reference with other bits fails, though the scores are the same.
        let wrong = try Self.context(reference: (0, String(repeating: "0", count: 64), run.arithmetic!), in: dir.appending(path: "wrong"))
        let differs = try #require(try Reproducer.run(try wrong.chosenEntries([]), options: Self.options(wrong), context: wrong, log: .silent).first)
        #expect(differs.passes == false && differs.differs && Reproducer.Summary([differs]).isFailure)
    }

    @Test func anEvaluationWithoutACachedCheckpointIsRecordedAsSkippedWithItsFix() throws {
        let context = try Self.context(weights: "https://example.invalid/tiny-0123abcd.pth")
        var lines: [String] = []
        let log = HarnessLog(info: { lines.append($0) }, error: { _, _ in }, progress: { _, _ in { _, _, _ in } })
        let outcomes = try Reproducer.run(try context.chosenEntries(["tiny_demo"]), options: Self.options(context), context: context, batch: "b", log: log)
        #expect(outcomes.count == 1)
        let outcome = outcomes[0]
        #expect(outcome.mode == .eval && outcome.status == .skipped && outcome.passes == nil)
        #expect(outcome.fix == "skelzoo download tiny_demo")
        #expect(lines == ["[1/1] tiny_demo", "[1/1] tiny_demo: skipped (checkpoint not in the cache (no network here))"])
        let run = try #require(try context.registry.runs(for: "tiny_demo").first)
        #expect(run.status == .skipped && run.fixCommand == "skelzoo download tiny_demo" && run.batch == "b")
        #expect(try ReportBuilder.state("tiny_demo", registry: context.registry)
                == .skipped(reason: "checkpoint not in the cache (no network here)", fix: "skelzoo download tiny_demo"))
        let summary = Reproducer.Summary(outcomes)
        #expect(!summary.isFailure && summary.line == "summary: 0 reproduced, 0 differ, 1 skipped, 0 failed")
    }

    @Test func forcingAnEvaluationOfAnEntryWithoutWeightsSkipsWithTheTrainFix() throws {
        let context = try Self.context()
        let outcome = try Reproducer.reproduce(try context.entry(named: "tiny_demo"), options: Self.options(context, mode: .eval),
                                               context: context, batch: "b", log: .silent)
        #expect(outcome.status == .skipped && outcome.fix == "skelzoo reproduce tiny_demo --mode train")
    }

    @Test func aRunThatFailsIsRecordedFailedAndTheReportSaysWhy() throws {
        let context = try Self.context()
        let entry = try context.entry(named: "tiny_demo")
        let recorder = try RunRecorder(context: context, entry: entry, mode: .train, seed: 3, threads: 1, configHash: "h", workDir: nil, log: .silent)
        #expect(try context.registry.runs(for: "tiny_demo").first?.status == .running)
        recorder.fail(HarnessError("the disk is on fire", hint: "not this one"))
        let run = try #require(try context.registry.runs(for: "tiny_demo").first)
        #expect(run.status == .failed && run.message == "the disk is on fire" && run.codeVersion != nil)
        #expect(try ReportBuilder.state("tiny_demo", registry: context.registry) == .failed("the disk is on fire"))
        let (text, passes) = ReportBuilder.verdict(try ReportBuilder.entry(entry, registry: context.registry))
        #expect(passes == false && text == "failed")
    }

    @Test func aConfigFileIsNotRecordedAndAnUnknownEntrySuggestsNames() throws {
        let context = try Self.context()
        let error = #expect(throws: HarnessError.self) { try ModelArgument.resolve("tiny_dem", context: { context }) }
        #expect(error?.message == "unknown zoo entry 'tiny_dem'" && error?.hint == "did you mean 'tiny_demo'?")
        let file = Fixtures.temporaryDirectory("model-argument").appending(path: "tiny.yml")
        try AtomicFile.write(Data(HarnessFixtures.configText.utf8), to: file)
        let resolved = try ModelArgument.resolve(file.path, context: { throw HarnessError("a config file needs no zoo") })
        #expect(resolved.entry == nil && resolved.context == nil && resolved.name == "tiny")
        #expect(resolved.configHash == Hashing.sha256(Data(HarnessFixtures.configText.utf8)))
        let recorder = try RunRecorder(context: resolved.context, entry: resolved.entry, mode: .eval, seed: nil, threads: 1,
                                       configHash: resolved.configHash, workDir: nil, log: .silent)
        #expect(recorder.run == nil)
        #expect(try context.registry.runs(for: "tiny").isEmpty)
    }

    @Test func theReportIsWrittenFromTheRegistry() throws {
        let context = try Self.context(weights: "https://example.invalid/tiny-0123abcd.pth")
        _ = try Reproducer.run(try context.chosenEntries([]), options: Self.options(context), context: context, log: .silent)
        let out = Fixtures.temporaryDirectory("report-out")
        let written = try ReportWriter.write(context: context, to: out)
        #expect(!written.isEmpty && written.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        let text = try written.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        #expect(text.contains("tiny_demo") && text.contains("skipped: checkpoint not in the cache"))
    }
}
