// V joints, K spatial partitions.
//
// The skeleton graph of MMAction2 1.x (`mmaction/models/utils/graph.py`, class `Graph`), which differs from
// 0.x (Graph.swift) in its layouts (1.x `coco` is a 16-edge tree, `nturgb+d` joins the hands differently) and in
// its modes: `stgcn_spatial` (ST-GCN's close/further split, without 0.x's merged root partition) and `spatial`
// (identity, inward, outward). Built in Double as numpy does, cast to Float32 as `torch.tensor(A, float32)`.
import ZooTensor

/// A partitioned adjacency `A` (K, V, V) of MMAction2 1.x, row = source joint v, column = target joint w.
public struct GCNGraph: Sendable, Equatable {
    /// `Graph(mode=...)`.
    public enum Mode: String, Sendable, CaseIterable {
        case stgcnSpatial = "stgcn_spatial"
        case spatial
    }

    /// 1.x layout names (`Graph.set_layout`).
    public static let layoutNames = ["openpose", "nturgb+d", "coco"]

    public let layout: String
    public let mode: Mode
    public let maxHop: Int
    public let jointCount: Int
    public let partitions: Int
    /// (K, V, V) row-major, float64 as numpy computes it.
    public let adjacency: [Double]

    /// Builds `Graph(layout, mode, max_hop)` of MMAction2 1.x.
    /// - Throws: ``ModelConfigurationError`` for a layout outside ``layoutNames`` or max_hop < 1.
    public init(layout: String, mode: Mode, maxHop: Int = 1) throws(ModelConfigurationError) {
        guard let skeleton = Self.skeleton(layout) else {
            throw ModelConfigurationError(field: "graph_cfg.layout", value: layout, expected: Self.layoutNames.joined(separator: ", "))
        }
        guard maxHop >= 1 else { throw ModelConfigurationError(field: "graph_cfg.max_hop", value: "\(maxHop)", expected: "an integer >= 1") }
        self.layout = layout
        self.mode = mode
        self.maxHop = maxHop
        let v = skeleton.jointCount
        jointCount = v
        var parts: [[Double]] = []
        switch mode {
        case .stgcnSpatial:
            // hop_dis from the inward edges (symmetrised), as get_hop_distance(num_node, inward, max_hop).
            let hop = Graph.hopDistance(layout: skeleton, maxHop: maxHop)
            var adjacency = [Double](repeating: 0, count: v * v)
            for i in 0..<v * v where hop[i] <= Double(maxHop) { adjacency[i] = 1 }
            let normalized = Graph.normalizeDigraph(adjacency, v: v)
            let center = skeleton.center
            for h in 0...maxHop {
                var close = [Double](repeating: 0, count: v * v), further = close
                for i in 0..<v {
                    for j in 0..<v where hop[j * v + i] == Double(h) {
                        // numpy: inf >= inf is true, so pairs both out of reach of the center count as "close".
                        if hop[j * v + center] >= hop[i * v + center] {
                            close[j * v + i] = normalized[j * v + i]
                        } else {
                            further[j * v + i] = normalized[j * v + i]
                        }
                    }
                }
                parts.append(close)
                if h > 0 { parts.append(further) }
            }
        case .spatial:
            // edge2mat(edges)[j, i] = 1 for each (i, j); In/Out are column-normalised.
            var identity = [Double](repeating: 0, count: v * v), inward = identity, outward = identity
            for i in 0..<v { identity[i * v + i] = 1 }
            for (i, j) in skeleton.edges {
                inward[j * v + i] = 1
                outward[i * v + j] = 1
            }
            parts = [identity, Graph.normalizeDigraph(inward, v: v), Graph.normalizeDigraph(outward, v: v)]
        }
        partitions = parts.count
        adjacency = parts.flatMap { $0 }
    }

    /// The adjacency as Float32 (K, V, V).
    public var adjacencyTensor: Tensor {
        Tensor(shape: [partitions, jointCount, jointCount], storage: adjacency.map { Float($0) })
    }

    /// The 1.x layout: joints, `inward` edges (0-based, in code order) and center.
    static func skeleton(_ name: String) -> SkeletonLayout? {
        switch name {
        case "openpose":
            return SkeletonLayout(name: name, jointCount: 18, edges: [(4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8),
                                                                      (11, 5), (8, 2), (5, 1), (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14)],
                                  center: 1)
        case "nturgb+d":
            let oneBased = [(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10), (12, 11),
                            (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19), (22, 8), (23, 8), (24, 12), (25, 12)]
            return SkeletonLayout(name: name, jointCount: 25, edges: oneBased.map { ($0.0 - 1, $0.1 - 1) }, center: 20)
        case "coco":
            return SkeletonLayout(name: name, jointCount: 17, edges: [(15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5),
                                                                      (10, 8), (8, 6), (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2)],
                                  center: 0)
        default:
            return nil
        }
    }
}
