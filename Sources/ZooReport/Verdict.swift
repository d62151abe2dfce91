// The verdict rules, stated in every report under its tables.

public enum Verdict: Sendable, Equatable {
    case reproduces
    case reproducesBitForBit
    case differs
    case bitsDiffer
    /// The rerun used another arithmetic than the reference (e.g. OpenBLAS against `portable-1`).
    case bitsNotComparable(run: String, reference: String)
    /// No measurement to judge (skipped, failed, never run).
    case none

    public var text: String {
        switch self {
        case .reproduces: "reproduces"
        case .reproducesBitForBit: "reproduces bit-for-bit"
        case .differs: "differs"
        case .bitsDiffer: "differs (bits)"
        case .bitsNotComparable(let run, let reference): "bits not comparable (run: \(run), reference: \(reference))"
        case .none: "-"
        }
    }

    /// An evaluation of the released checkpoint reproduces when |Δ| <= 0.05 points.
    public static let evalTolerance = 0.05
    /// A single-seed retrain reproduces when the published value is within 1.0 point.
    public static let singleSeedTolerance = 1.0

    public static let rules = """
    Verdicts: an evaluation of the released checkpoint **reproduces** when |Δ| ≤ 0.05 points. A retrain \
    **reproduces** when the published value lies within the seeds' mean ± 2 std (± 1.0 point for one seed). \
    A rerun of a recorded reference run **reproduces bit-for-bit** when the run with the reference's seed \
    and arithmetic has the reference's `weights_sha256` (**differs (bits)** otherwise, whatever the scores). \
    Bits compare only within one arithmetic: SkelZoo's portable arithmetic (`portable-N`) gives the same bits \
    on every CPU; an OpenBLAS run (`openblas/<core>`) compares only with a reference made on the same OpenBLAS \
    core, and is reported **bits not comparable** otherwise. Δ = measured mean − published, in points.
    """

    /// Mean and sample standard deviation (n - 1) of values in points.
    public static func statistics(_ values: [Double]) -> (mean: Double, std: Double) {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    public static func evaluation(measured: Double, published: Double) -> Verdict {
        abs(measured - published) <= evalTolerance + 1e-9 ? .reproduces : .differs
    }

    public static func retrain(measured: [Double], published: Double) -> Verdict {
        let (mean, std) = statistics(measured)
        let margin = measured.count == 1 ? singleSeedTolerance : 2 * std
        return abs(published - mean) <= margin + 1e-9 ? .reproduces : .differs
    }

    /// A retrain under ``SeedRule``: reproduces when the published value lies inside the 95% interval of the mean.
    /// One seed has no interval and is judged by the single-seed tolerance.
    public static func retrain(measured: [Double], published: Double, rule: SeedRule) -> Verdict {
        guard let interval = SeedStopping.interval(measured) else { return retrain(measured: measured, published: published) }
        return interval.contains(published) ? .reproduces : .differs
    }

    /// Bit-for-bit against a reference: the run with the reference's seed, in the reference's arithmetic,
    /// must have its hash. `.none` when no run used the reference seed.
    public static func bits(_ seeds: [SeedResult], reference: ReferenceBits) -> Verdict {
        guard let run = seeds.first(where: { $0.seed == reference.seed }) else { return .none }
        let arithmetic = run.arithmetic ?? "unrecorded"
        guard arithmetic == reference.arithmetic else { return .bitsNotComparable(run: arithmetic, reference: reference.arithmetic) }
        return run.weightsSHA256 == reference.weightsSHA256 ? .reproducesBitForBit : .bitsDiffer
    }

    /// Whether this verdict is a success.
    public var passes: Bool {
        switch self {
        case .reproduces, .reproducesBitForBit: true
        case .differs, .bitsDiffer, .bitsNotComparable, .none: false
        }
    }
}
