import Foundation
import Testing
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooSTGCN

struct Variant: Sendable, CustomTestStringConvertible {
    var directory: String, layout: String, classes: Int, persons: Int
    var testDescription: String { directory }

    var configuration: STGCNConfiguration {
        STGCNConfiguration(layout: SkeletonLayout.named(layout)!, numClasses: classes, numPerson: persons)
    }

    static let all: [Variant] = [
        .init(directory: "v1_coco60", layout: "coco", classes: 60, persons: 2),
        .init(directory: "v2_ntu60", layout: "ntu-rgb+d", classes: 60, persons: 2),
        .init(directory: "v3_ntu120", layout: "ntu-rgb+d", classes: 120, persons: 1),
    ]

    func model(checkpoint: String = "checkpoint.pth") throws -> STGCN {
        var model = STGCN(configuration)
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("\(directory)/\(checkpoint)"))
        try model.load(stateDict: try file.stateDict())
        return model
    }
}

@Suite struct FixtureParityTests {
    @Test(arguments: Variant.all) func adjacencyEqualsTheFixtureExactly(_ variant: Variant) throws {
        let expected = try FixtureTensor.load("\(variant.directory)/A")
        let graph = variant.configuration.graph
        #expect([graph.partitions, graph.jointCount, graph.jointCount] == expected.shape)
        #expect(graph.adjacencyFloat == expected.floats)
    }

    @Test(arguments: Variant.all) func parameterCountMatchesPyTorch(_ variant: Variant) throws {
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("INFO.json"))) as? [String: Any]
        let expected = (info?[variant.directory] as? [String: Any])?["num_params"] as? Int
        #expect(variant.configuration.parameterCount == expected)
    }

    @Test(arguments: Variant.all, ["T20", "T300"]) func logitsAndBackboneMatchMMAction2(_ variant: Variant, _ length: String) throws {
        var model = try variant.model()
        let input = try FixtureTensor.load("\(variant.directory)/\(length)/input")
        let (logits, features, _) = model.forward(Tensor(shape: input.shape, storage: input.floats), threads: 2)
        let expectedLogits = try FixtureTensor.load("\(variant.directory)/\(length)/logits")
        #expect(logits.shape == expectedLogits.shape)
        expectClose(logits.storage, expectedLogits.floats, "logits")
        let expectedFeatures = try FixtureTensor.load("\(variant.directory)/\(length)/backbone_out")
        #expect(features.shape == expectedFeatures.shape)
        expectClose(features.storage, expectedFeatures.floats, "backbone_out")
    }

    @Test func legacyContainerGivesTheSameWeights() throws {
        let zip = try TorchCheckpoint.load(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        let legacy = try TorchCheckpoint.load(contentsOf: Fixtures.url("v1_coco60/checkpoint_legacy.pth"))
        #expect(zip.container == .zip && legacy.container == .legacy)
        let a = try zip.stateDict(), b = try legacy.stateDict()
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.map(\.tensor) == b.map(\.tensor))
        #expect(a.count == 172)
    }

    @Test func checkpointForAnotherLayoutIsRefusedByName() throws {
        var model = STGCN(STGCNConfiguration(layout: .named("coco")!, numClasses: 60, numPerson: 2))
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("v2_ntu60/checkpoint.pth"))
        let stateDict = try file.stateDict()
        do {
            try model.load(stateDict: stateDict)
            Issue.record("expected an error")
        } catch {
            #expect(error.misshaped.contains { $0.hasPrefix("backbone.A expected [3, 17, 17], found [3, 25, 25]") })
            #expect(error.misshaped.contains { $0.hasPrefix("backbone.data_bn.weight") })
        }
    }

    @Test func checkpointForAnotherClassCountIsRefusedByName() throws {
        var model = STGCN(STGCNConfiguration(layout: .named("ntu-rgb+d")!, numClasses: 60, numPerson: 1))
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("v3_ntu120/checkpoint.pth"))
        let stateDict = try file.stateDict()
        do {
            try model.load(stateDict: stateDict)
            Issue.record("expected an error")
        } catch {
            #expect(error.misshaped == ["cls_head.fc.weight expected [60, 256, 1, 1], found [120, 256, 1, 1]",
                                        "cls_head.fc.bias expected [60], found [120]"])
        }
    }
}
