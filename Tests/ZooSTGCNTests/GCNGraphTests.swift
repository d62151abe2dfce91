import Testing
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooSTGCN

/// MMAction2 1.x `Graph(layout, mode)`: pinned against numbers written down once from mmaction2 1.2.0's graph.py
/// (run by hand with numpy), and against the A tensors stored in the three fixture checkpoints.
@Suite struct GCNGraphTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var layout: String
        var mode: GCNGraph.Mode
        /// Non-zeros per partition, and each partition's sum (float32 values summed in float64).
        var nonZeros: [Int]
        var sums: [Double]
        var testDescription: String { "\(layout) \(mode.rawValue)" }
    }

    static let cases: [Case] = [
        Case(layout: "openpose", mode: .stgcnSpatial, nonZeros: [18, 25, 9], sums: [6.666666746139526, 8.583333432674408, 2.7500000596046448]),
        Case(layout: "openpose", mode: .spatial, nonZeros: [18, 17, 17], sums: [18, 17, 12.000000029802322]),
        Case(layout: "coco", mode: .stgcnSpatial, nonZeros: [17, 22, 10], sums: [6.366666749119759, 7.133333444595337, 3.5000000596046448]),
        Case(layout: "coco", mode: .spatial, nonZeros: [17, 16, 16], sums: [17, 16, 11]),
        Case(layout: "nturgb+d", mode: .stgcnSpatial, nonZeros: [25, 40, 8], sums: [9.116666808724403, 13.133333563804626, 2.7500000596046448]),
        Case(layout: "nturgb+d", mode: .spatial, nonZeros: [25, 24, 24], sums: [25, 24, 18]),
    ]

    @Test(arguments: cases) func partitionsMatchMMAction2(_ expected: Case) throws {
        let graph = try GCNGraph(layout: expected.layout, mode: expected.mode).adjacencyTensor
        let v = graph.shape[1]
        for k in 0..<3 {
            let part = graph.storage[(k * v * v)..<((k + 1) * v * v)]
            #expect(part.filter { $0 != 0 }.count == expected.nonZeros[k], "partition \(k)")
            #expect(abs(part.reduce(0.0) { $0 + Double($1) } - expected.sums[k]) < 1e-9, "partition \(k)")
        }
    }

    @Test func theFixtureCheckpointsHoldTheseGraphs() throws {
        for (directory, key, layout, mode) in [("stgcn_j_ntu60_2d", "backbone.gcn.0.gcn.A", "coco", GCNGraph.Mode.stgcnSpatial),
                                               ("stgcnpp_j_ntu60_3d", "backbone.gcn.0.gcn.A", "nturgb+d", .spatial),
                                               ("agcn_b_ntu60_2d", "backbone.A", "coco", .spatial)] {
            let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(directory)/checkpoint.pth"))
            let stored = try #require(try file.stateDict().first { $0.name == key }?.tensor)
            #expect(stored.floats == (try GCNGraph(layout: layout, mode: mode)).adjacencyTensor.storage, "\(directory) \(key)")
        }
    }
}
