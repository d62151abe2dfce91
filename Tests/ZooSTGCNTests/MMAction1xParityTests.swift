import Foundation
import Testing
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooSTGCN

/// The three MMAction2 1.2.0 fixture variants (../shared/fixtures/mmaction1x): load `checkpoint.pth`, feed the
/// pipeline's output for samples 0 and 1, compare per-clip logits and the 10-clip `pred_score`.
@Suite struct MMAction1xParityTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var directory: String
        var configuration: RecognizerGCN.Configuration
        /// The README table's parameter count.
        var parameters: Int
        var testDescription: String { directory }
    }

    static let head = GCNHeadConfiguration(numClasses: 60, inChannels: 256)

    /// The `model=dict(...)` of each config, as written in the mmaction2 1.2.0 wheel.
    static let variants: [Variant] = [
        Variant(directory: "stgcn_j_ntu60_2d",
                configuration: .init(backbone: .stgcn(STGCN1xConfiguration(layout: "coco", graphMode: .stgcnSpatial)), head: head),
                parameters: 3_088_704),
        Variant(directory: "stgcnpp_j_ntu60_3d",
                configuration: .init(backbone: .stgcn(STGCN1xConfiguration(layout: "nturgb+d", graphMode: .spatial, gcnAdaptive: .initial,
                                                                           gcnWithResidual: true, tcnKind: .multiScale)), head: head),
                parameters: 1_403_144),
        Variant(directory: "agcn_b_ntu60_2d",
                configuration: .init(backbone: .aagcn(AAGCNConfiguration(layout: "coco", graphMode: .spatial, gcnAttention: false)), head: head),
                parameters: 3_459_344),
    ]

    static func model(_ variant: Variant) throws -> RecognizerGCN {
        var model = try RecognizerGCN(configuration: variant.configuration)
        try model.load(checkpoint: TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(variant.directory)/checkpoint.pth")))
        return model
    }

    @Test(arguments: variants) func parameterCountMatchesTheREADME(_ variant: Variant) throws {
        #expect(try RecognizerGCN(configuration: variant.configuration).parameterCount == variant.parameters)
    }

    @Test(arguments: variants) func stateDictNamesAndShapesMatchTheCheckpoint(_ variant: Variant) throws {
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(variant.directory)/checkpoint.pth"))
        let stored = try file.stateDict().map { "\($0.name) \($0.tensor.shape)" }
        let ours = try RecognizerGCN(configuration: variant.configuration).stateDictShapes.map { "\($0.name) \($0.shape)" }
        // Same keys, same shapes, same (PyTorch state_dict) order.
        #expect(ours == stored)
    }

    @Test(arguments: variants) func stateDictRoundTripsThroughTheModel(_ variant: Variant) throws {
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(variant.directory)/checkpoint.pth"))
        let stored = try file.stateDict()
        let written = try Self.model(variant).stateDict()
        #expect(written.map(\.name) == stored.map(\.name))
        for ((name, shape, values), (_, tensor)) in zip(written, stored) {
            #expect(shape == tensor.shape, "\(name)")
            switch values {
            case .floats(let floats): #expect(floats == tensor.floats, "\(name)")
            case .int64(let count): #expect([count] == tensor.integers, "\(name)")
            }
        }
    }

    @Test(arguments: variants) func clipLogitsAndPredScoresMatchMMAction2(_ variant: Variant) throws {
        let model = try Self.model(variant)
        let logits = try FixtureTensor.load("mmaction1x/\(variant.directory)/clip_logits")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("mmaction1x/\(variant.directory)/expected.json"))) as? [String: Any]
        let samples = try #require(expected?["samples"] as? [[String: Any]])
        let classes = logits.shape[2], clips = logits.shape[1]
        for sample in 0..<2 {
            let input = try FixtureTensor.load("mmaction1x/\(variant.directory)/pipeline/inputs_\(sample)")
            let clipsTensor = Tensor(shape: input.shape, storage: input.floats)
            let (scores, ours) = try model.predict(clipsTensor, clipsPerSample: clips, threads: 2)
            let reference = Array(logits.floats[(sample * clips * classes)..<((sample + 1) * clips * classes)])
            // 1e-4: MMAction2's float32 sums run in another order (im2col GEMM blocking, einsum); the logits are O(1).
            print("\(variant.directory) sample \(sample): logits maxdiff \(maxAbsDiff(ours.storage, reference))")
            expectClose(ours.storage, reference, absolute: 1e-4, relative: 0, "\(variant.directory) sample \(sample) clip logits")
            let expectedScores = try #require(samples[sample]["scores"] as? [Double]).map { Float($0) }
            print("\(variant.directory) sample \(sample): pred_score maxdiff \(maxAbsDiff(scores.storage, expectedScores))")
            expectClose(scores.storage, expectedScores, absolute: 1e-5, relative: 0, "\(variant.directory) sample \(sample) pred_score")
        }
    }
}
