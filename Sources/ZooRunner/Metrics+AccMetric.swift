// MMAction2 1.x `AccMetric` (`mmaction/evaluation/metrics/acc_metric.py`, v1.2.0): the same top_k_accuracy and
// mean_class_accuracy as 0.x (`mmaction/evaluation/functional/accuracy.py`), on `pred_score`, reported under the
// names 1.x logs: `acc/top1`, `acc/top5` (one per k), `acc/mean1` (default_prefix 'acc').

extension Metrics {
    /// AccMetric with `metric_list` (names as 0.x: `top_k_accuracy`, `mean_class_accuracy`) and `topk`.
    public static func accMetric(_ names: [String] = ["top_k_accuracy", "mean_class_accuracy"], topk: [Int], scores: [[Float]],
                                 labels: [Int]) -> [(String, Double)] {
        var results: [(String, Double)] = []
        for name in names {
            switch name {
            case "top_k_accuracy":
                for k in topk { results.append(("acc/top\(k)", topKAccuracy(scores: scores, labels: labels, k: k))) }
            case "mean_class_accuracy":
                results.append(("acc/mean1", meanClassAccuracy(scores: scores, labels: labels)))
            default:
                continue
            }
        }
        return results
    }
}
