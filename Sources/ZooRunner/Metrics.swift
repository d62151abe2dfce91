// MMAction2's evaluation metrics (`mmaction/core/evaluation/accuracy.py`, v0.24.1), exactly.

public enum Metrics {
    /// `top_k_accuracy`: the fraction of samples whose label is among the k highest scores.
    ///
    /// MMAction2 ranks with `np.argsort(scores)[:, -k:]`; ties are broken here as a stable ascending sort
    /// would (the higher class index ranks higher). numpy's default sort is not stable for more than 16
    /// classes, so exact ties may rank differently there; with real-valued logits they do not occur.
    public static func topKAccuracy<Score: BinaryFloatingPoint>(scores: [[Score]], labels: [Int], k: Int) -> Double {
        guard !labels.isEmpty else { return 0 }
        var hits = 0
        for (row, label) in zip(scores, labels) {
            guard label >= 0 && label < row.count else { continue }
            let target = row[label]
            var above = 0
            for (index, score) in row.enumerated() where score > target || (score == target && index > label) { above += 1 }
            if above < k { hits += 1 }
        }
        return Double(hits) / Double(labels.count)
    }

    /// `mean_class_accuracy`: mean over the classes present in predictions or labels of hit/count, where a class
    /// predicted but absent from the labels counts 0 (MMAction2's confusion matrix over unique(pred ∪ gt)).
    /// Predictions are `argmax` (first maximum on ties).
    public static func meanClassAccuracy<Score: BinaryFloatingPoint>(scores: [[Score]], labels: [Int]) -> Double {
        let predictions = scores.map { argmax($0) }
        let classes = Set(predictions).union(labels).sorted()
        guard !classes.isEmpty else { return 0 }
        var count: [Int: Int] = [:], hit: [Int: Int] = [:]
        for (prediction, label) in zip(predictions, labels) {
            count[label, default: 0] += 1
            if prediction == label { hit[label, default: 0] += 1 }
        }
        var total = 0.0
        for label in classes {
            let n = count[label] ?? 0
            total += n == 0 ? 0 : Double(hit[label] ?? 0) / Double(n)
        }
        return total / Double(classes.count)
    }

    /// Index of the first maximum (`np.argmax`).
    public static func argmax<Score: BinaryFloatingPoint>(_ row: [Score]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    /// The metrics MMAction2 reports for `names` (`top_k_accuracy` gives one `topK_acc` per k).
    public static func evaluate<Score: BinaryFloatingPoint>(_ names: [String], topk: [Int], scores: [[Score]], labels: [Int]) -> [(String, Double)] {
        var results: [(String, Double)] = []
        for name in names {
            switch name {
            case "top_k_accuracy":
                for k in topk { results.append(("top\(k)_acc", topKAccuracy(scores: scores, labels: labels, k: k))) }
            case "mean_class_accuracy":
                results.append(("mean_class_accuracy", meanClassAccuracy(scores: scores, labels: labels)))
            default:
                continue
            }
        }
        return results
    }
}
