// MMAction2 1.x `AccMetric` (`mmaction/evaluation/metrics/acc_metric.py`, v1.2.0): the same top_k_accuracy and
// mean_class_accuracy as 0.x (`mmaction/evaluation/functional/accuracy.py`), on `pred_score`, reported under the
// names 1.x logs: `acc/top1`, `acc/top5` (one per k), `acc/mean1` (default_prefix 'acc').

extension Metrics {
    /// AccMetric's default `metric_list=('top_k_accuracy', 'mean_class_accuracy')` with `topk`.
    public static func accMetric(topk: [Int], scores: [[Float]], labels: [Int]) -> [(String, Double)] {
        var results = topk.map { k in ("acc/top\(k)", topKAccuracy(scores: scores, labels: labels, k: k)) }
        results.append(("acc/mean1", meanClassAccuracy(scores: scores, labels: labels)))
        return results
    }
}
