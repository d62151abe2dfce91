// Verdicts that explain: what a retrain did against what the published run did, difference by difference.
//
// A retrain that differs from its published score usually differs in its recipe first: the GPU count changes the total
// batch (so the number of SGD steps per epoch) and, without SyncBN, the BN batch is the per-GPU batch; fewer epochs,
// another annotation file, fp16 or more test clips each move the score. The report puts these differences first, in
// words, whenever a retrain does not reproduce, and lists every aspect in the run's details.

/// One side of a comparison: the recipe a run followed, or the published run's. Unknown facts are nil and never count
/// as a difference.
public struct RecipeSide: Sendable, Equatable {
    /// GPUs (emulated data-parallel ranks for a SkelZoo run); nil when not published.
    public var gpus: Int?
    /// Samples per GPU per step, which is also the BN batch (DDP without SyncBN normalises each GPU's batch alone).
    public var perGPUBatch: Int?
    /// Epochs of the config (each a pass over the training set repeated `repeatTimes` times).
    public var epochs: Int?
    public var repeatTimes: Int?
    /// `fp32` or `fp16`.
    public var precision: String?
    /// Clips per test sample.
    public var testClips: Int?
    /// sha256 of each split's annotation file (`train`, `val`, `test`) where known.
    public var dataFiles: [String: String]

    public init(gpus: Int? = nil, perGPUBatch: Int? = nil, epochs: Int? = nil, repeatTimes: Int? = nil, precision: String? = nil,
                testClips: Int? = nil, dataFiles: [String: String] = [:]) {
        self.gpus = gpus
        self.perGPUBatch = perGPUBatch
        self.epochs = epochs
        self.repeatTimes = repeatTimes
        self.precision = precision
        self.testClips = testClips
        self.dataFiles = dataFiles
    }

    /// gpus x per-GPU batch, when both are known.
    public var totalBatch: Int? {
        guard let gpus, let perGPUBatch else { return nil }
        return gpus * perGPUBatch
    }
}

/// A run's recipe against the published one.
public struct RecipeComparison: Sendable, Equatable {
    /// One aspect compared.
    public struct Row: Sendable, Equatable {
        public var aspect: String
        public var run: String
        public var published: String
        /// true: they differ; false: the same; nil: the published side is unknown.
        public var differs: Bool?
    }

    public var run: RecipeSide
    public var published: RecipeSide

    public init(run: RecipeSide, published: RecipeSide) {
        self.run = run
        self.published = published
    }

    /// Every aspect, in a fixed order: GPUs, total batch, BN batch, epochs, precision, test clips, then each data split.
    public var rows: [Row] {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "not published" }
        func row(_ aspect: String, _ run: String?, _ published: String?) -> Row {
            Row(aspect: aspect, run: run ?? "unknown", published: published ?? "not published",
                differs: run == nil || published == nil ? nil : run != published)
        }
        var rows = [
            row("GPUs", run.gpus.map(String.init), published.gpus.map(String.init)),
            row("total batch", batchText(run), batchText(published)),
            row("BN batch (per GPU)", run.perGPUBatch.map(String.init), published.perGPUBatch.map(String.init)),
            row("epochs", epochsText(run), epochsText(published)),
            row("precision", run.precision, published.precision),
            row("test clips", run.testClips.map(String.init), published.testClips.map(String.init)),
        ]
        // Total batch compares by value, not by its spelling (1 x 32 and 2 x 16 are the same total).
        rows[1].differs = run.totalBatch == nil || published.totalBatch == nil ? nil : run.totalBatch != published.totalBatch
        for split in ["train", "val", "test"] where run.dataFiles[split] != nil || published.dataFiles[split] != nil {
            rows.append(row("\(split) annotations (sha256)", run.dataFiles[split].map { "`\($0.prefix(12))…`" },
                            published.dataFiles[split].map { "`\($0.prefix(12))…`" }))
            rows[rows.count - 1].differs = run.dataFiles[split] == nil || published.dataFiles[split] == nil ? nil
                : run.dataFiles[split] != published.dataFiles[split]
        }
        return rows
    }

    /// The differences in words, most consequential first; empty when the recipes agree on everything known.
    public var differences: [String] {
        var words: [String] = []
        let gpusDiffer = run.gpus != nil && published.gpus != nil && run.gpus != published.gpus
        let totalDiffers = run.totalBatch != nil && published.totalBatch != nil && run.totalBatch != published.totalBatch
        if gpusDiffer || totalDiffers, let gpus = run.gpus, let perGPU = run.perGPUBatch {
            let runText = "trained on \(gpus) GPU-equivalent\(gpus == 1 ? "" : "s") with a total batch of \(gpus * perGPU)"
                + (gpus == 1 ? "" : " (\(gpus) x \(perGPU))")
            let publishedText = published.gpus.map { g in published.perGPUBatch.map { "\(g) x \($0) = \(g * $0)" } ?? "\(g) GPUs" } ?? "an unknown layout"
            words.append("\(runText); the published run used \(publishedText)")
        }
        if let runBN = run.perGPUBatch, let publishedBN = published.perGPUBatch, runBN != publishedBN {
            words.append("BN normalised batches of \(runBN) samples per GPU; the published run's BN saw \(publishedBN) per GPU")
        }
        if let runEpochs = run.epochs, let publishedEpochs = published.epochs,
           runEpochs != publishedEpochs || (run.repeatTimes ?? 1) != (published.repeatTimes ?? 1) {
            words.append("trained \(epochsText(run) ?? "?"); the published run trained \(epochsText(published) ?? "?")")
        }
        for split in ["train", "val", "test"] {
            if let here = run.dataFiles[split], let there = published.dataFiles[split], here != there {
                words.append("the \(split) annotation file differs from the published run's (sha256 \(here.prefix(12))… here, \(there.prefix(12))… there)")
            }
        }
        if let here = run.precision, let there = published.precision, here != there {
            words.append("trained in \(here); the published run used \(there)")
        }
        if let here = run.testClips, let there = published.testClips, here != there {
            words.append("scored with \(here) clip\(here == 1 ? "" : "s") per sample; the published score used \(there)")
        }
        return words
    }

    /// Aspects the published side does not state, named for the reader (nothing is claimed about them).
    public var unknowns: [String] { rows.filter { $0.differs == nil }.map(\.aspect) }

    /// One paragraph: the differences, or that the known recipe is the same.
    public var summary: String {
        let differences = differences
        var text = differences.isEmpty ? "Same recipe as the published run" : "Recipe differs from the published run: " + differences.joined(separator: "; ")
        let unknowns = unknowns
        if !unknowns.isEmpty { text += " (not published, so not compared: \(unknowns.joined(separator: ", ")))" }
        return text + "."
    }

    /// The comparison as a markdown table.
    public var table: String {
        var text = "| | this run | published run | |\n|---|---|---|---|\n"
        for row in rows {
            text += "| \(row.aspect) | \(row.run) | \(row.published) | \(row.differs.map { $0 ? "**differs**" : "same" } ?? "unknown") |\n"
        }
        return text
    }

    func batchText(_ side: RecipeSide) -> String? {
        guard let gpus = side.gpus, let perGPU = side.perGPUBatch else { return nil }
        return "\(gpus) x \(perGPU) = \(gpus * perGPU)"
    }

    func epochsText(_ side: RecipeSide) -> String? {
        guard let epochs = side.epochs else { return nil }
        let repeatTimes = side.repeatTimes ?? 1
        return "\(epochs) epoch\(epochs == 1 ? "" : "s")" + (repeatTimes > 1 ? " x RepeatDataset \(repeatTimes) = \(epochs * repeatTimes) passes" : "")
    }
}
