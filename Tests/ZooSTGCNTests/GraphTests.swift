import Testing
@testable import ZooSTGCN

@Suite struct GraphTests {
    static let cases: [(String, String, Int)] = [
        ("coco", "spatial", 3), ("coco", "uniform", 1), ("coco", "distance", 2),
        ("ntu-rgb+d", "spatial", 3), ("ntu-rgb+d", "uniform", 1), ("ntu-rgb+d", "distance", 2),
        ("openpose-18", "spatial", 3), ("openpose-18", "uniform", 1), ("openpose-18", "distance", 2),
    ]

    /// stgcn.md section 2: in every layout and strategy, Σ_k A[k] is column-stochastic.
    @Test(arguments: cases) func partitionsSumToAColumnStochasticMatrix(_ layout: String, _ strategy: String, _ partitions: Int) throws {
        let graph = Graph(layout: try #require(SkeletonLayout.named(layout)), strategy: strategy)
        let v = graph.jointCount
        #expect(graph.partitions == partitions)
        for column in 0..<v {
            var sum = 0.0
            for k in 0..<graph.partitions { for row in 0..<v { sum += graph.adjacency[(k * v + row) * v + column] } }
            #expect(abs(sum - 1) < 1e-12, "\(layout) \(strategy) column \(column)")
        }
    }

    @Test func maxHopTwoReachesTwoHopNeighbours() throws {
        let graph = Graph(layout: try #require(SkeletonLayout.named("coco")), strategy: "distance", maxHop: 2)
        #expect(graph.partitions == 3)
        // nose (0) and left ear (3) are two hops apart through the left eye (1).
        #expect(graph.adjacency[(2 * 17 + 0) * 17 + 3] > 0)
        #expect(graph.adjacency[(1 * 17 + 0) * 17 + 3] == 0)
    }

    @Test func spatialCocoPartitionCountsMatchTheDesign() throws {
        // stgcn.md 2.3: A[0] 17, A[1] 34, A[2] 4 non-zeros for coco.
        let graph = Graph(layout: try #require(SkeletonLayout.named("coco")), strategy: "spatial")
        let counts = (0..<3).map { k in (0..<289).filter { graph.adjacency[k * 289 + $0] != 0 }.count }
        #expect(counts == [17, 34, 4])
    }
}
