// N samples, C channels, T frames, V joints, M persons, NC classes.
import Foundation
import ZooConfig
import ZooPose
import ZooSTGCN
import ZooTensor

/// The result of evaluating a model on annotated samples, as MMAction2's `tools/test.py` computes it.
public struct Evaluation: Sendable {
    public struct Sample: Sendable, Codable, Equatable {
        public var frameDirectory: String
        public var label: Int
        /// Raw logits (N C), MMAction2's `forward_test` output.
        public var scores: [Float]

        enum CodingKeys: String, CodingKey {
            case frameDirectory = "frame_dir", label, scores
        }
    }

    /// (name, value) in MMAction2's order: top1_acc, top5_acc, mean_class_accuracy.
    public var metrics: [(String, Double)]
    public var samples: [Sample]
}

public enum Evaluator {
    /// Runs the test pipeline and the model in eval mode over `samples`, `batchSize` at a time (consecutive
    /// samples of equal shape; eval results do not depend on the batching).
    /// - Throws: ``RunnerError`` when the data does not fit the model (channels, joints, persons, labels).
    public static func evaluate(_ model: inout STGCN, samples: [PoseSample], pipeline: PosePipeline, metrics: [String],
                                topk: [Int], batchSize: Int, threads: Int, source: String,
                                progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        guard !samples.isEmpty else {
            throw RunnerError("\(source) holds no samples; there is nothing to evaluate", hint: "check the annotation file (and --split)")
        }
        OpenBLAS.setThreads(1)
        let configuration = model.configuration
        var results: [Evaluation.Sample] = []
        results.reserveCapacity(samples.count)
        var pending: [(PoseSample, Tensor)] = []

        func flush() {
            guard !pending.isEmpty else { return }
            let batch = PosePipeline.collate(pending.map(\.1))
            let (logits, _, _) = model.forward(batch, threads: threads)
            let classes = logits.shape[1]
            for (i, (sample, _)) in pending.enumerated() {
                results.append(.init(frameDirectory: sample.frameDirectory, label: sample.label,
                                     scores: Array(logits.storage[i * classes..<(i + 1) * classes])))
            }
            pending.removeAll(keepingCapacity: true)
            progress?(results.count, samples.count)
        }

        for (index, sample) in samples.enumerated() {
            let input = pipeline.apply(sample)
            try check(input, sample: sample, index: index, configuration: configuration, source: source)
            if let first = pending.first, first.1.shape != input.shape { flush() }
            pending.append((sample, input))
            if pending.count == batchSize { flush() }
        }
        flush()
        let scores = results.map(\.scores), labels = results.map(\.label)
        return Evaluation(metrics: Metrics.evaluate(metrics, topk: topk, scores: scores, labels: labels), samples: results)
    }

    static func check(_ input: Tensor, sample: PoseSample, index: Int, configuration: STGCNConfiguration, source: String) throws {
        let c = input.shape[0], v = input.shape[2], m = input.shape[3]
        if c != configuration.inChannels {
            throw RunnerError("\(source): sample \(index) ('\(sample.frameDirectory)') gives \(c) input channels after the pipeline, the model expects \(configuration.inChannels)",
                              hint: c == 2 ? "2-D keypoints need 'keypoint_score' to make 3 channels" : nil)
        }
        if v != configuration.layout.jointCount {
            throw RunnerError("\(source): sample \(index) ('\(sample.frameDirectory)') has \(v) joints, the \(configuration.layout.name) layout has \(configuration.layout.jointCount)",
                              hint: "use the config whose layout matches the data")
        }
        if m != configuration.numPerson {
            throw RunnerError("\(source): FormatGCNInput gives \(m) persons but the head averages over num_person=\(configuration.numPerson)")
        }
        if sample.label >= configuration.numClasses {
            throw RunnerError("\(source): sample \(index) ('\(sample.frameDirectory)') has label \(sample.label), the model has \(configuration.numClasses) classes")
        }
    }
}
