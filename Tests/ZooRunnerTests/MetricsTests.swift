import Testing
@testable import ZooRunner

@Suite struct MetricsTests {
    @Test func topKCountsTheLabelAmongTheKHighest() {
        let scores: [[Float]] = [[0.1, 0.9, 0.0], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]]
        let labels = [1, 2, 0]
        #expect(Metrics.topKAccuracy(scores: scores, labels: labels, k: 1) == 1.0 / 3.0)
        #expect(Metrics.topKAccuracy(scores: scores, labels: labels, k: 2) == 2.0 / 3.0)
        #expect(Metrics.topKAccuracy(scores: scores, labels: labels, k: 3) == 1.0)
    }

    @Test func tiesRankAsAStableAscendingSortDoes() {
        // np.argsort([1, 1, 0]) (stable) = [2, 0, 1]: top-1 is class 1, so label 0 misses and label 1 hits.
        #expect(Metrics.topKAccuracy(scores: [[1, 1, 0]], labels: [0], k: 1) == 0)
        #expect(Metrics.topKAccuracy(scores: [[1, 1, 0]], labels: [1], k: 1) == 1)
        // argmax takes the first maximum.
        #expect(Metrics.argmax([1, 1, 0]) == 0)
    }

    @Test func meanClassAccuracyCountsPredictedButAbsentClassesAsZero() {
        // labels {0, 1}; predictions 0, 0, 2 -> classes {0, 1, 2}: class 0 hit 1/1, class 1 hit 0/1, class 2 (never a label) 0.
        let scores: [[Float]] = [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
        #expect(Metrics.meanClassAccuracy(scores: scores, labels: [0, 1, 1]) == (1.0 + 0.0 + 0.0) / 3.0)
    }

    @Test func classesNeitherPredictedNorPresentAreLeftOut() {
        // 10 classes, only 0 and 1 occur anywhere: the mean is over 2 classes, not 10.
        var a = [Float](repeating: 0, count: 10), b = a
        a[0] = 1
        b[1] = 1
        #expect(Metrics.meanClassAccuracy(scores: [a, b, a], labels: [0, 1, 1]) == (1.0 + 0.5) / 2.0)
    }

    @Test func evaluateNamesResultsAsMMAction2() {
        let results = Metrics.evaluate(["top_k_accuracy", "mean_class_accuracy"], topk: [1, 5], scores: [[0, 1]], labels: [1])
        #expect(results.map(\.0) == ["top1_acc", "top5_acc", "mean_class_accuracy"])
        #expect(results.map(\.1) == [1, 1, 1])
    }
}
