// B samples, N = B·clips clip inputs, M persons, T frames, V joints, C channels, NC classes.
//
// `skelzoo test` for MMAction2 1.x entries: what `tools/test.py` does with a RecognizerGCN config. Per sample the
// 1.x test pipeline yields num_clips clips (N, M, T, V, C); the model gives per-clip logits; GCNHead's
// `average_clips='prob'` averages their softmax into `pred_score`; AccMetric scores `pred_score` against the labels.
import Foundation
import ZooConfig
import ZooPose
import ZooSTGCN
import ZooTensor

public enum ClipEvaluator {
    /// Evaluates `model` on `samples` through `pipeline`, `batchSize` samples per forward pass (eval results do not
    /// depend on the batching).
    /// - Returns: ``Evaluation`` whose samples' `scores` are `pred_score` (B, NC) and whose metrics are AccMetric's,
    ///   named as MMAction2 1.x prints them (`acc/top1`, `acc/top5`, `acc/mean1`).
    /// - Throws: ``RunnerError`` naming the sample when the data does not fit the model or the pipeline rejects it.
    public static func evaluate(_ model: RecognizerGCN, samples: [PoseSample], pipeline: ClipPipeline,
                                metrics: [String] = ["top_k_accuracy", "mean_class_accuracy"], topk: [Int], batchSize: Int,
                                threads: Int, source: String, progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        guard !samples.isEmpty else {
            throw RunnerError("\(source) holds no samples; there is nothing to evaluate", hint: "check the annotation file (and --split)")
        }
        precondition(batchSize >= 1, "batch size is validated by the caller")
        let clips = pipeline.clipsPerSample, classes = model.configuration.head.numClasses
        var results: [Evaluation.Sample] = []
        results.reserveCapacity(samples.count)
        var pending: [(sample: PoseSample, input: Tensor)] = []

        func flush() throws {
            guard !pending.isEmpty else { return }
            var storage: [Float] = []
            storage.reserveCapacity(pending.count * pending[0].input.count)
            for item in pending { storage.append(contentsOf: item.input.storage) }
            let batch = Tensor(shape: [pending.count * clips] + Array(pending[0].input.shape.dropFirst()), storage: storage)
            let scores: Tensor
            do {
                scores = try model.predict(batch, clipsPerSample: clips, threads: threads).scores
            } catch {
                let first = pending[0].sample
                throw RunnerError("\(source): sample '\(first.frameDirectory)' does not fit the model: \(error)",
                                  hint: "use the config whose layout, feature streams (GenSkeFeat feats) and persons match the data")
            }
            for (i, item) in pending.enumerated() {
                results.append(.init(frameDirectory: item.sample.frameDirectory, label: item.sample.label,
                                     scores: Array(scores.storage[(i * classes)..<((i + 1) * classes)])))
            }
            pending.removeAll(keepingCapacity: true)
            progress?(results.count, samples.count)
        }

        // Labels first, so a bad file fails before minutes of forward passes.
        for (index, sample) in samples.enumerated() where sample.label >= classes {
            throw RunnerError("\(source): sample \(index) ('\(sample.frameDirectory)') has label \(sample.label), the model has \(classes) classes")
        }
        for sample in samples {
            let input: Tensor
            do {
                input = try pipeline.apply(sample, file: source)
            } catch let error as AnnotationError {
                throw RunnerError(error.description, hint: "MMAction2's pipeline rejects this sample too")
            }
            precondition(input.shape[0] == clips, "ClipPipeline yields num_clips clips")
            if let first = pending.first, first.input.shape != input.shape { try flush() }
            pending.append((sample, input))
            if pending.count == batchSize { try flush() }
        }
        try flush()
        let labels = results.map(\.label), scores = results.map(\.scores)
        return Evaluation(metrics: Metrics.accMetric(metrics, topk: topk, scores: scores, labels: labels), samples: results)
    }
}
