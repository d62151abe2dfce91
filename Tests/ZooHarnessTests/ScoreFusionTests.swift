import Foundation
import Testing
import ZooHarness
import ZooTestSupport

/// Late fusion of `skelzoo test --out` files, as MMAction2 1.x report_accuracy.py computes it.
@Suite struct ScoreFusionTests {
    /// Writes a result file with samples (frame_dir, label, scores) and returns its path.
    static func resultFile(_ samples: [(String, Int, [Float])], in folder: URL, name: String) throws -> URL {
        let rows = samples.map { ["frame_dir": $0.0, "label": $0.1, "scores": $0.2.map(Double.init)] as [String: Any] }
        let url = folder.appending(path: name)
        try JSONSerialization.data(withJSONObject: ["metrics": ["top1_acc": 0.5], "samples": rows]).write(to: url)
        return url
    }

    static func stream(_ samples: [(String, Int, [Float])], weight: Double, name: String) throws -> ScoreFusion.Stream {
        let url = try resultFile(samples, in: Fixtures.temporaryDirectory("fusion"), name: "\(name).json")
        return ScoreFusion.Stream(name: name, file: url.path, weight: weight, samples: try ScoreFusion.loadSamples(url))
    }

    /// Two streams on two samples where the weights decide: 1:1 gets both right, 3:1 (joint-heavy) gets both wrong.
    static let joint: [(String, Int, [Float])] = [("S001", 1, [0.6, 0.35, 0.05]), ("S002", 2, [0.2, 0.5, 0.3])]
    static let bone: [(String, Int, [Float])] = [("S001", 1, [0.1, 0.8, 0.1]), ("S002", 2, [0.1, 0.2, 0.7])]

    @Test func theWeightsDecideTheFusedPrediction() throws {
        let even = try ScoreFusion.fuse([Self.stream(Self.joint, weight: 1, name: "j"), Self.stream(Self.bone, weight: 1, name: "b")],
                                        applySoftmax: false, topk: [1, 2])
        #expect(even.metrics.map(\.0) == ["top1_acc", "top2_acc", "mean_class_accuracy"])
        #expect(even.metrics[0].1 == 1.0)
        #expect(even.sampleCount == 2 && even.classCount == 3)
        let jointHeavy = try ScoreFusion.fuse([Self.stream(Self.joint, weight: 3, name: "j"), Self.stream(Self.bone, weight: 1, name: "b")],
                                              applySoftmax: false, topk: [1, 2])
        #expect(jointHeavy.metrics[0].1 == 0.0)
        #expect(jointHeavy.metrics[1].1 == 1.0)
        // As numpy does: each float32 score promoted to float64, times its coefficient, summed over streams.
        #expect(jointHeavy.scores[0][0] == Double(Float(0.6)) * 3 + Double(Float(0.1)) * 1)
        #expect(jointHeavy.scores[1] == [Double(Float(0.2)) * 3 + Double(Float(0.1)), Double(Float(0.5)) * 3 + Double(Float(0.2)),
                                         Double(Float(0.3)) * 3 + Double(Float(0.7))])
    }

    @Test func meanClassAccuracyFollowsMMAction2() throws {
        // Fused predictions: S001 -> 0 (label 1, wrong), S002 -> 1 (label 2, wrong): classes {0, 1, 2} all count 0 hits.
        let result = try ScoreFusion.fuse([Self.stream(Self.joint, weight: 3, name: "j"), Self.stream(Self.bone, weight: 1, name: "b")],
                                          applySoftmax: false)
        #expect(result.metrics.map(\.0) == ["top1_acc", "top5_acc", "mean_class_accuracy"])
        #expect(result.metrics[2].1 == 0.0)
    }

    @Test func applySoftmaxNormalisesEachStreamFirst() throws {
        // Logits (0, ln 2) and (ln 2, 0): softmax (1/3, 2/3) and (2/3, 1/3); summed 1:1 they tie at 1, 1.
        let logits: Float = Float(0.6931471805599453)
        let a = try Self.stream([("S001", 0, [0, logits])], weight: 1, name: "a")
        let b = try Self.stream([("S001", 0, [logits, 0])], weight: 1, name: "b")
        let result = try ScoreFusion.fuse([a, b], applySoftmax: true)
        #expect(abs(result.scores[0][0] - 1) < 1e-7 && abs(result.scores[0][1] - 1) < 1e-7)
        let raw = try ScoreFusion.fuse([a, b], applySoftmax: false)
        #expect(raw.scores[0] == [Double(logits), Double(logits)])
    }

    struct Mismatch: Sendable, CustomTestStringConvertible {
        var id: String
        var other: [(String, Int, [Float])]
        var message: String
        var testDescription: String { id }
    }

    static let mismatches: [Mismatch] = [
        .init(id: "another sample", other: [("S001", 1, [0.1, 0.8, 0.1]), ("S003", 2, [0.1, 0.2, 0.7])],
              message: "sample 1 is 'S003'"),
        .init(id: "another label", other: [("S001", 1, [0.1, 0.8, 0.1]), ("S002", 0, [0.1, 0.2, 0.7])],
              message: "sample 1 ('S002') has label 0"),
        .init(id: "fewer samples", other: [("S001", 1, [0.1, 0.8, 0.1])], message: "has 1 samples"),
        .init(id: "other classes", other: [("S001", 1, [0.1, 0.8, 0.1]), ("S002", 2, [0.1, 0.2, 0.6, 0.1])],
              message: "sample 1 ('S002') has 4 scores, expected 3 classes"),
    ]

    @Test(arguments: mismatches) func streamsThatDisagreeAreRefusedNamingTheStreamAndSample(_ mismatch: Mismatch) throws {
        let joint = try Self.stream(Self.joint, weight: 1, name: "joint-entry")
        let other = try Self.stream(mismatch.other, weight: 1, name: "bone-entry")
        do {
            _ = try ScoreFusion.fuse([joint, other], applySoftmax: false)
            Issue.record("expected an error")
        } catch let error as HarnessError {
            #expect(error.message.contains("bone-entry"))
            #expect(error.message.contains(mismatch.message))
        }
    }

    @Test func oneStreamOrAWeightOfZeroIsRefused() throws {
        let joint = try Self.stream(Self.joint, weight: 1, name: "j")
        #expect(throws: HarnessError.self) { try ScoreFusion.fuse([joint], applySoftmax: false) }
        var zero = try Self.stream(Self.bone, weight: 1, name: "b")
        zero.weight = 0
        #expect(throws: HarnessError.self) { try ScoreFusion.fuse([joint, zero], applySoftmax: false) }
    }

    @Test func aFileThatIsNotAResultFileSaysWhatIsMissing() throws {
        let folder = Fixtures.temporaryDirectory("fusion")
        let url = folder.appending(path: "bad.json")
        try Data(#"{"samples": [{"frame_dir": "S001", "scores": [0.5]}]}"#.utf8).write(to: url)
        do {
            _ = try ScoreFusion.loadSamples(url)
            Issue.record("expected an error")
        } catch let error as HarnessError {
            #expect(error.message.contains(url.path))
            #expect(error.message.contains("missing key 'samples[0].label'"))
        }
        let missing = folder.appending(path: "absent.json")
        do {
            _ = try ScoreFusion.loadSamples(missing)
            Issue.record("expected an error")
        } catch let error as HarnessError {
            #expect(error.message.contains("cannot read the result file \(missing.path)"))
            #expect(error.hint?.contains("skelzoo test") == true)
        }
        let empty = folder.appending(path: "empty.json")
        try Data(#"{"samples": []}"#.utf8).write(to: empty)
        #expect(throws: HarnessError.self) { try ScoreFusion.loadSamples(empty) }
    }
}
