import Foundation
import Testing
import ZooTestSupport
@testable import ZooReport

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ReportTests {
    static func seed(_ seed: Int, top1: Double, hash: String? = nil, epochs: Int = 3, arithmetic: String = "portable-1") -> SeedResult {
        SeedResult(seed: seed, metrics: ["top1_acc": top1, "mean_class_accuracy": top1 - 0.01], weightsSHA256: hash,
                   curve: (1...epochs).map { (epoch: $0, loss: 2.0 / Double($0), valTop1: top1 * Double($0) / Double(epochs)) },
                   runID: Int64(10 + seed), provenance: [("code version", "v0-test")], arithmetic: arithmetic)
    }

    static let reference = ReferenceBits(seed: 0, weightsSHA256: "aa", arithmetic: "portable-1")

    /// A hand-made collection with every kind of row: eval that reproduces, eval that differs, retrain over three seeds,
    /// a bit-for-bit rerun, a rerun whose bits differ, an OpenBLAS rerun against a portable reference, a skipped entry, a failed one, one never run, and a footnote.
    static let collection = ReportCollection(name: "Hand", entries: [
        ReportEntry(name: "eval_ok", scores: [ReportScore(metric: "Top 1 Accuracy", value: "86.91", source: "zoo")],
                    state: .evaluated(seed(0, top1: 0.8693))),
        ReportEntry(name: "eval_off", scores: [ReportScore(metric: "Top 1 Accuracy", value: "86.91", source: "zoo")],
                    state: .evaluated(seed(0, top1: 0.8600))),
        ReportEntry(name: "retrain", scores: [ReportScore(metric: "Top 1 Accuracy", value: "40.31", source: "zoo"),
                                              ReportScore(metric: "Mean Top 1 Accuracy", value: "26.17", source: "paper", footnote: "Copied from the paper.")],
                    state: .retrained([seed(0, top1: 0.40), seed(1, top1: 0.41), seed(2, top1: 0.405)])),
        ReportEntry(name: "bits_ok", scores: [ReportScore(metric: "Top 1 Accuracy", value: "91.25", source: "reference run")],
                    state: .retrained([seed(0, top1: 0.9125, hash: "aa")]), reference: reference),
        ReportEntry(name: "bits_off", scores: [ReportScore(metric: "Top 1 Accuracy", value: "91.25", source: "reference run")],
                    state: .retrained([seed(0, top1: 0.9125, hash: "bb")]), reference: reference),
        ReportEntry(name: "bits_other_arithmetic", scores: [ReportScore(metric: "Top 1 Accuracy", value: "91.25", source: "reference run")],
                    state: .retrained([seed(0, top1: 0.9125, hash: "cc", arithmetic: "openblas/Haswell")]), reference: reference),
        ReportEntry(name: "skipped", scores: [ReportScore(metric: "Top 1 Accuracy", value: "42.39", source: "zoo")],
                    state: .skipped(reason: "checkpoint not in the cache (no network here)", fix: "fetch https://example/x.pth into $SKELZOO_HOME/checkpoints/")),
        ReportEntry(name: "crashed", scores: [ReportScore(metric: "Top 1 Accuracy", value: "50.00", source: "zoo")],
                    state: .failed("the process died during the run (killed or crashed); run #7 never finished")),
        ReportEntry(name: "never", scores: [ReportScore(metric: "Top 1 Accuracy", value: "50.00", source: "zoo")],
                    state: .notRun("never run here; `skelzoo reproduce never`")),
        // --seeds auto: judged against the 95% interval [39.85, 41.15] of four seeds, recipe as published.
        ReportEntry(name: "retrain_auto", scores: [ReportScore(metric: "Top 1 Accuracy", value: "40.31", source: "zoo")],
                    state: .retrained([0.40, 0.41, 0.405, 0.405].enumerated().map { withRecipe(seed($0.offset, top1: $0.element), gpus: 2) }),
                    publishedRecipe: twoBySixteen, seedRule: SeedRule(halfWidth: 0.5, maximum: 10)),
        // One GPU against the published two: the verdict says so first.
        ReportEntry(name: "retrain_1gpu", scores: [ReportScore(metric: "Top 1 Accuracy", value: "86.91", source: "zoo")],
                    state: .retrained([withRecipe(seed(0, top1: 0.8560), gpus: 1)]), publishedRecipe: twoBySixteen),
    ])

    static let twoBySixteen = RecipeSide(gpus: 2, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1)

    static func withRecipe(_ result: SeedResult, gpus: Int) -> SeedResult {
        var result = result
        result.recipe = RecipeSide(gpus: gpus, perGPUBatch: 16, epochs: 80, repeatTimes: 1, precision: "fp32", testClips: 1)
        return result
    }

    @Test func markdownMatchesTheGoldenFile() throws {
        let files = MarkdownReport.render([Self.collection], generatedFrom: "a hand-filled registry")
        let main = try #require(files.first { $0.path == "README.md" }).text
        let golden = Fixtures.repositoryRoot.appending(path: "Tests/ZooReportTests/Golden/README.md")
        if ProcessInfo.processInfo.environment["SKELZOO_UPDATE_GOLDEN"] == "1" { try Data(main.utf8).write(to: golden) }
        #expect(main == (try String(contentsOf: golden, encoding: .utf8)))
    }

    @Test func a1xEvaluationIsMeasuredByItsAccMetricNames() {
        // `skelzoo test` on a 1.x entry records AccMetric's names (acc/top1, ...); `skelzoo fuse` records top1_acc.
        let oneX = SeedResult(seed: nil, metrics: ["acc/top1": 0.8895, "acc/top5": 0.98, "acc/mean1": 0.88], weightsSHA256: nil, curve: [],
                              runID: 1, provenance: [], arithmetic: "portable-1")
        let entry = ReportEntry(name: "stgcn_1x", scores: [ReportScore(metric: "Top 1 Accuracy", value: "88.95", source: "zoo")],
                                state: .evaluated(oneX))
        let cells = MarkdownReport.cells(entry, entry.scores[0])
        #expect(cells.measured == "88.95 (eval, n=1)")
        #expect(cells.passes == true)
        #expect(MetricNames.value(["top1_acc", "acc/top1"], in: ["top1_acc": 0.5, "acc/top1": 0.7]) == 0.5)
    }

    @Test func verdictRules() {
        #expect(Verdict.evaluation(measured: 86.96, published: 86.91) == .reproduces)
        #expect(Verdict.evaluation(measured: 86.97, published: 86.91) == .differs)
        #expect(Verdict.retrain(measured: [40.0, 41.0, 40.5], published: 40.31) == .reproduces)
        #expect(Verdict.retrain(measured: [40.0, 41.0, 40.5], published: 42.0) == .differs)   // 40.5 ± 1.0
        #expect(Verdict.retrain(measured: [40.0], published: 40.9) == .reproduces)
        #expect(Verdict.retrain(measured: [40.0], published: 41.1) == .differs)
        #expect(Verdict.bits([Self.seed(0, top1: 0.9, hash: "aa")], reference: Self.reference) == .reproducesBitForBit)
        #expect(Verdict.bits([Self.seed(0, top1: 0.9, hash: "bb")], reference: Self.reference) == .bitsDiffer)
        // Only the reference's seed counts: another seed with the reference's hash proves nothing.
        #expect(Verdict.bits([Self.seed(1, top1: 0.9, hash: "aa")], reference: Self.reference) == Verdict.none)
        #expect(Verdict.bits([Self.seed(1, top1: 0.9, hash: "aa"), Self.seed(0, top1: 0.9, hash: "bb")], reference: Self.reference) == .bitsDiffer)
        // Another arithmetic is not comparable, whatever its hash.
        #expect(Verdict.bits([Self.seed(0, top1: 0.9, hash: "aa", arithmetic: "openblas/Zen")], reference: Self.reference)
                == .bitsNotComparable(run: "openblas/Zen", reference: "portable-1"))
        #expect(Verdict.reproducesBitForBit.passes && !Verdict.bitsDiffer.passes && !Verdict.bitsNotComparable(run: "a", reference: "b").passes)
    }

    final class PathCounter: NSObject, XMLParserDelegate {
        var series = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "path" && attributes["class"] == "series" { series += 1 }
        }
    }

    @Test func curvesAreValidXMLWithOnePathPerSeedInEachPanel() throws {
        let files = MarkdownReport.render([Self.collection], generatedFrom: "test")
        let svg = try #require(files.first { $0.path == "runs/retrain-curves.svg" }).text
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = PathCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.series == 3 * 2)  // three seeds, loss and validation panels
        for chart in files where chart.path.hasSuffix(".svg") {
            #expect(XMLParser(data: Data(chart.text.utf8)).parse(), "\(chart.path)")
        }
    }

    /// Issue 11 §2: entries whose published numbers are SkelZoo's own reference runs (they have a zoo reference run, the
    /// demo zoo) sit apart from numbers published by others, each part with a sentence saying which it is.
    @Test func ownReferenceRunsAreKeptApartFromNumbersPublishedByOthers() throws {
        #expect(Self.collection.entries.filter { $0.publishedBy == .skelzooReferenceRun }.map(\.name) == ["bits_ok", "bits_off", "bits_other_arithmetic"])
        let files = MarkdownReport.render([Self.collection], generatedFrom: "test")
        let main = try #require(files.first { $0.path == "README.md" }).text
        let others = try #require(main.range(of: "## Numbers published by others\n\nThe published numbers in this part were not made by SkelZoo"))
        let own = try #require(main.range(of: "## SkelZoo's own reference runs\n\nThe published numbers in this part are SkelZoo's own"))
        #expect(others.upperBound < own.lowerBound)
        let otherPart = main[others.upperBound..<own.lowerBound], ownPart = main[own.upperBound...]
        #expect(otherPart.contains("| eval_ok |") && otherPart.contains("| never |") && !otherPart.contains("| bits_"))
        #expect(ownPart.contains("| bits_ok |") && ownPart.contains("| bits_other_arithmetic |") && !ownPart.contains("| eval_ok |"))
        #expect(ownPart.contains("it says nothing about agreement with MMAction2"))
        // The collection spans both parts: each part has its own chart and footnote labels.
        #expect(files.contains { $0.path == "Hand.svg" } && files.contains { $0.path == "Hand-reference-runs.svg" })
        #expect(try #require(files.first { $0.path == "runs/bits_ok.md" }).text.contains("Its published numbers are SkelZoo's own reference run"))
        #expect(try #require(files.first { $0.path == "runs/eval_ok.md" }).text.contains("SkelZoo's own") == false)
        // A zoo of one kind only has one part.
        let demoOnly = ReportCollection(name: "Demo", entries: Self.collection.entries.filter { $0.reference != nil })
        let single = try #require(MarkdownReport.render([demoOnly], generatedFrom: "test").first { $0.path == "README.md" }).text
        #expect(!single.contains("## Numbers published by others") && single.contains("## SkelZoo's own reference runs"))
        // An explicit origin wins over the default.
        #expect(ReportEntry(name: "x", scores: [], state: .notRun("-"), reference: Self.reference, publishedBy: .others).publishedBy == .others)
    }

    @Test func detailsPageGivesTheFixCommand() throws {
        let files = MarkdownReport.render([Self.collection], generatedFrom: "test")
        let page = try #require(files.first { $0.path == "runs/skipped.md" }).text
        #expect(page.contains("To make it runnable: `fetch https://example/x.pth into $SKELZOO_HOME/checkpoints/`"))
    }
}
