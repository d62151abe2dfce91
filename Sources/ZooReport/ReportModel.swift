// Plain values a report is made from; the CLI fills them from the registry.
import Foundation

public struct ReportCollection: Sendable {
    public var name: String
    public var entries: [ReportEntry]

    public init(name: String, entries: [ReportEntry]) {
        self.name = name
        self.entries = entries
    }
}

public struct ReportScore: Sendable, Equatable {
    /// Zoo metric name, e.g. "Top 1 Accuracy".
    public var metric: String
    /// As published, e.g. "33.00" (percent).
    public var value: String
    public var source: String
    public var footnote: String?

    public init(metric: String, value: String, source: String, footnote: String? = nil) {
        self.metric = metric
        self.value = value
        self.source = source
        self.footnote = footnote
    }
}

/// One seed's (or one evaluation's) measured result.
public struct SeedResult: Sendable, Equatable {
    public var seed: Int?
    /// MMAction2 metric names with fractions: top1_acc, mean_class_accuracy, ...
    public var metrics: [String: Double]
    public var weightsSHA256: String?
    /// The arithmetic the run used (`portable-1`, `openblas/Haswell`); bits compare only within one.
    public var arithmetic: String?
    /// Per epoch: (epoch, training loss, validation top-1 fraction or nil).
    public var curve: [(epoch: Int, loss: Double, valTop1: Double?)]
    public var runID: Int64
    /// Provenance lines for the details page (code version, date, config hash, machine, ...).
    public var provenance: [(String, String)]
    /// The recipe this run followed (retrains), compared with the entry's ``ReportEntry/publishedRecipe``.
    public var recipe: RecipeSide?

    public init(seed: Int?, metrics: [String: Double], weightsSHA256: String?, curve: [(epoch: Int, loss: Double, valTop1: Double?)],
                runID: Int64, provenance: [(String, String)], arithmetic: String? = nil, recipe: RecipeSide? = nil) {
        self.seed = seed
        self.recipe = recipe
        self.arithmetic = arithmetic
        self.metrics = metrics
        self.weightsSHA256 = weightsSHA256
        self.curve = curve
        self.runID = runID
        self.provenance = provenance
    }

    public static func == (a: SeedResult, b: SeedResult) -> Bool {
        a.seed == b.seed && a.metrics == b.metrics && a.weightsSHA256 == b.weightsSHA256 && a.runID == b.runID && a.arithmetic == b.arithmetic
    }
}

public enum EntryState: Sendable, Equatable {
    /// Never run; why.
    case notRun(String)
    /// Could not run here; why and the command that would fix it.
    case skipped(reason: String, fix: String?)
    /// A run that ran and failed, or whose process died.
    case failed(String)
    /// Measured: an evaluation of the released checkpoint, or retrains with one result per seed.
    case evaluated(SeedResult)
    case retrained([SeedResult])
}

public struct ReportEntry: Sendable {
    public var name: String
    public var scores: [ReportScore]
    public var state: EntryState
    /// The zoo's reference run, for bit-for-bit checks of retrains.
    public var reference: ReferenceBits?
    /// Whose numbers the published scores are; the report keeps the two kinds apart.
    public var publishedBy: PublishedBy
    /// The published run's recipe, which every retrain is compared with.
    public var publishedRecipe: RecipeSide?
    /// The seed rule of the retrains (`reproduce --seeds auto`); nil for a fixed seed list.
    public var seedRule: SeedRule?
    /// What the published run's training log states, where a copy is on this machine (lines for the details page).
    public var publishedLog: [String] = []

    /// - Parameter publishedBy: nil: SkelZoo's own reference run when the zoo records one (``reference``; the demo zoo's
    ///   published scores are that run's), else others'.
    public init(name: String, scores: [ReportScore], state: EntryState, reference: ReferenceBits? = nil, publishedBy: PublishedBy? = nil,
                publishedRecipe: RecipeSide? = nil, seedRule: SeedRule? = nil) {
        self.name = name
        self.scores = scores
        self.state = state
        self.reference = reference
        self.publishedBy = publishedBy ?? (reference == nil ? .others : .skelzooReferenceRun)
        self.publishedRecipe = publishedRecipe
        self.seedRule = seedRule
    }

    /// The first seed's recipe against the published one (the seeds of one reproduce share their recipe).
    public var recipeComparison: RecipeComparison? {
        guard case .retrained(let seeds) = state, let run = seeds.first?.recipe, let publishedRecipe else { return nil }
        return RecipeComparison(run: run, published: publishedRecipe)
    }
}

/// `reproduce --seeds auto --ci H --max-seeds M`: the retrain's verdict is made against the 95% interval of the mean.
public struct SeedRule: Sendable, Equatable {
    /// The interval's target half-width, in points.
    public var halfWidth: Double
    public var maximum: Int

    public init(halfWidth: Double, maximum: Int) {
        self.halfWidth = halfWidth
        self.maximum = maximum
    }
}

/// Who published an entry's numbers.
public enum PublishedBy: Sendable, Equatable, CaseIterable {
    /// MMAction2's model zoo, a paper, an official baseline: numbers SkelZoo did not make.
    case others
    /// A SkelZoo reference run (the demo zoo): numbers SkelZoo made itself, so reproducing them checks SkelZoo against
    /// itself on another machine, not against MMAction2.
    case skelzooReferenceRun
}

/// What a rerun must match bit for bit: the reference run's seed, `weights_sha256` and arithmetic.
public struct ReferenceBits: Sendable, Equatable {
    public var seed: Int
    public var weightsSHA256: String
    public var arithmetic: String

    public init(seed: Int, weightsSHA256: String, arithmetic: String) {
        self.seed = seed
        self.weightsSHA256 = weightsSHA256
        self.arithmetic = arithmetic
    }
}

/// Zoo metric names and the MMAction2 metrics each is measured by: the 0.x name (also `skelzoo fuse`'s, as
/// report_accuracy.py's), then the 1.x AccMetric name (`skelzoo test` on a 1.x entry).
public enum MetricNames {
    public static let measuredBy: [String: [String]] = [
        "Top 1 Accuracy": ["top1_acc", "acc/top1"], "Top 5 Accuracy": ["top5_acc", "acc/top5"],
        "Mean Top 1 Accuracy": ["mean_class_accuracy", "acc/mean1"],
    ]

    /// The value of the first of `names` a run recorded.
    public static func value(_ names: [String], in metrics: [String: Double]) -> Double? {
        names.lazy.compactMap { metrics[$0] }.first
    }
}
