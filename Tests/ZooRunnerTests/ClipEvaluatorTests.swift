import Foundation
import Testing
import ZooConfig
import ZooPose
import ZooSTGCN
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooRunner

/// `skelzoo test` on the MMAction2 1.x fixtures, at the ZooRunner level: the zoo config mapped onto the model and the
/// 1.x test pipeline, checkpoint + ann.pkl through them and GCNHead's average_clips='prob' give MMAction2 1.2.0's
/// `pred_score` and AccMetric's metrics.
@Suite struct ClipEvaluatorTests {
    /// A fixture variant and its zoo config (`configs/...` translated from the mmaction2 1.2.0 wheel), read and mapped
    /// exactly as `skelzoo test <entry>` does.
    struct Variant: CustomTestStringConvertible, Sendable {
        var directory: String
        var testDescription: String { directory }

        func config() throws -> RecognizerGCNConfig {
            let entry = try String(contentsOf: Fixtures.url("mmaction1x/\(directory)/entry"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let path = try #require(ZooSources.embeddedConfigPaths.first { $0.hasSuffix("/\(entry).yml") }, "no config for \(entry)")
            return try RecognizerGCNConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
        }

        func model() throws -> RecognizerGCN { try RecognizerGCN(configuration: RecognizerGCN.Configuration(config())) }
        func pipeline() throws -> ClipPipeline { ClipPipeline(try config().testPipeline.steps) }
    }

    static let variants = ["stgcn_j_ntu60_2d", "stgcnpp_j_ntu60_3d", "agcn_b_ntu60_2d"].map(Variant.init)

    struct Expected: Decodable {
        var metrics: [String: Double]
        var samples: [Evaluation.Sample]
    }

    /// pred_score within 1e-5 (float32 network, softmax and mean in Double: MMAction2's are float32) and the same
    /// metrics, for every validation sample: 23-301 frames, 1-3 persons, a trimmed 3-D clip.
    @Test(arguments: variants)
    func testGivesMMAction2sScoresAndMetrics(_ variant: Variant) throws {
        let root = "mmaction1x/\(variant.directory)"
        var model = try variant.model()
        try model.load(checkpoint: TorchCheckpoint.load(contentsOf: Fixtures.url("\(root)/checkpoint.pth")))
        let samples = try AnnotationFile.load(Fixtures.url("\(root)/ann.pkl"), split: "xsub_val").samples
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.url("\(root)/expected.json")))
        var reported: [Int] = []
        let config = try variant.config()
        #expect(config.test.split == "xsub_val" && config.evaluator.topk == [1, 5] && config.testPipeline.numClips == 10)
        let evaluation = try ClipEvaluator.evaluate(model, samples: samples, pipeline: variant.pipeline(), topk: config.evaluator.topk, batchSize: 4,
                                                    threads: 2, source: "ann.pkl") { done, _ in reported.append(done) }
        #expect(reported.last == samples.count)
        #expect(evaluation.samples.map(\.frameDirectory) == expected.samples.map(\.frameDirectory))
        #expect(evaluation.samples.map(\.label) == expected.samples.map(\.label))
        var worst: Float = 0
        for (actual, wanted) in zip(evaluation.samples, expected.samples) {
            expectClose(actual.scores, wanted.scores, absolute: 1e-5, relative: 0, "\(variant.directory) \(actual.frameDirectory)")
            worst = max(worst, maxAbsDiff(actual.scores, wanted.scores))
        }
        print("\(variant.directory): pred_score maxdiff \(worst)")
        #expect(evaluation.metrics.map(\.0) == ["acc/top1", "acc/top5", "acc/mean1"])
        let metrics = Dictionary(uniqueKeysWithValues: evaluation.metrics)
        #expect(metrics["acc/top1"] == expected.metrics["top1"])
        #expect(metrics["acc/top5"] == expected.metrics["top5"])
        #expect(metrics["acc/mean1"] == expected.metrics["mean1"])
    }

    @Test func aSampleWithALabelBeyondTheClassesIsNamed() throws {
        let variant = Self.variants[0]
        let model = try variant.model()
        var samples = try AnnotationFile.load(Fixtures.url("mmaction1x/\(variant.directory)/ann.pkl"), split: "xsub_val").samples
        samples[1].label = 60
        #expect { try ClipEvaluator.evaluate(model, samples: samples, pipeline: variant.pipeline(), topk: [1, 5], batchSize: 1,
                                             threads: 1, source: "ann.pkl") } throws: { error in
            "\(error)".contains("sample 1 ('stgcn_j_ntu60_2d_001') has label 60, the model has 60 classes")
        }
    }

    @Test func dataThatDoesNotFitTheModelIsNamed() throws {
        // A 3-D NTU pipeline on the 2-D coco model: 25 joints into a 17-joint graph.
        let model = try Self.variants[0].model()
        let samples = try AnnotationFile.load(Fixtures.url("mmaction1x/stgcnpp_j_ntu60_3d/ann.pkl"), split: "xsub_val").samples
        #expect { try ClipEvaluator.evaluate(model, samples: Array(samples.prefix(1)), pipeline: Self.variants[1].pipeline(),
                                             topk: [1, 5], batchSize: 1, threads: 1, source: "ann.pkl") } throws: { error in
            "\(error)".contains("sample 'stgcnpp_j_ntu60_3d_000' does not fit the model")
        }
    }

    @Test func accMetricNamesAreMMAction1xs() {
        let metrics = Metrics.accMetric(topk: [1, 5], scores: [[0.1, 0.9], [0.8, 0.2]], labels: [1, 1])
        #expect(metrics.map(\.0) == ["acc/top1", "acc/top5", "acc/mean1"])
        #expect(metrics.map(\.1) == [0.5, 1.0, 0.25])
    }
}
