// V joints, K spatial partitions.
//
// The skeleton graph of MMAction2 0.x (`mmaction/models/skeleton_gcn/utils/graph.py`, identical in logic to
// yysijie/st-gcn `net/utils/graph.py`), reproduced to the bit, including its quirk: hop distances are
// computed only up to `maxHop`, every farther pair is +inf, and `inf == inf` is true, so with max_hop=1 most
// edges land in the "root" partition (merged into A[1]) rather than being split centripetal/centrifugal.

/// A skeleton layout: joints, edges and the center joint.
public struct SkeletonLayout: Sendable, Equatable {
    public var name: String
    public var jointCount: Int
    /// Neighbour links (0-based), in the upstream code's order.
    public var edges: [(Int, Int)]
    public var center: Int

    public static func == (lhs: SkeletonLayout, rhs: SkeletonLayout) -> Bool {
        lhs.name == rhs.name && lhs.jointCount == rhs.jointCount && lhs.center == rhs.center
            && lhs.edges.map { [$0.0, $0.1] } == rhs.edges.map { [$0.0, $0.1] }
    }

    /// The layout called `name` in MMAction2 0.x: `coco`, `ntu-rgb+d` or `openpose-18`.
    public static func named(_ name: String) -> SkeletonLayout? {
        switch name {
        case "coco":
            // graph.py lists these 1-based and subtracts 1.
            let oneBased = [(16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (8, 6), (9, 7),
                            (10, 8), (11, 9), (2, 3), (2, 1), (3, 1), (4, 2), (5, 3), (4, 6), (5, 7)]
            return SkeletonLayout(name: name, jointCount: 17, edges: oneBased.map { ($0.0 - 1, $0.1 - 1) }, center: 0)
        case "ntu-rgb+d":
            let oneBased = [(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10),
                            (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
                            (22, 23), (23, 8), (24, 25), (25, 12)]
            return SkeletonLayout(name: name, jointCount: 25, edges: oneBased.map { ($0.0 - 1, $0.1 - 1) }, center: 20)
        case "openpose-18":
            let edges = [(4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2), (5, 1), (2, 1),
                         (0, 1), (15, 0), (14, 0), (17, 15), (16, 14)]
            return SkeletonLayout(name: name, jointCount: 18, edges: edges, center: 1)
        default:
            return nil
        }
    }

    public static let names = ["coco", "ntu-rgb+d", "openpose-18"]
}

/// The partitioned adjacency `A` (K, V, V), row = source joint v, column = target joint w.
public struct Graph: Sendable {
    public let layout: SkeletonLayout
    public let strategy: String
    public let maxHop: Int
    public let dilation: Int
    /// (K, V, V) row-major, float64 as numpy computes it.
    public let adjacency: [Double]
    public let partitions: Int

    public var jointCount: Int { layout.jointCount }

    /// Builds the graph exactly as `Graph(layout, strategy, max_hop, dilation)` in MMAction2 0.x.
    /// - Precondition: `strategy` is `uniform`, `distance` or `spatial` (configs are validated before).
    public init(layout: SkeletonLayout, strategy: String, maxHop: Int = 1, dilation: Int = 1) {
        self.layout = layout
        self.strategy = strategy
        self.maxHop = maxHop
        self.dilation = dilation
        let v = layout.jointCount
        let hop = Self.hopDistance(layout: layout, maxHop: maxHop)
        let validHops = Array(stride(from: 0, through: maxHop, by: dilation))
        var adjacency = [Double](repeating: 0, count: v * v)
        for i in 0..<v * v where validHops.contains(where: { Double($0) == hop[i] }) { adjacency[i] = 1 }
        let normalized = Self.normalizeDigraph(adjacency, v: v)
        var parts: [[Double]] = []
        switch strategy {
        case "uniform":
            parts = [normalized]
        case "distance":
            for h in validHops {
                var a = [Double](repeating: 0, count: v * v)
                for i in 0..<v * v where hop[i] == Double(h) { a[i] = normalized[i] }
                parts.append(a)
            }
        case "spatial":
            let center = layout.center
            for h in validHops {
                var root = [Double](repeating: 0, count: v * v)
                var close = root, further = root
                for i in 0..<v {
                    for j in 0..<v where hop[j * v + i] == Double(h) {
                        // numpy compares +inf == +inf as true: the quirk stgcn.md section 2 describes.
                        let dj = hop[j * v + center], di = hop[i * v + center]
                        if dj == di { root[j * v + i] = normalized[j * v + i] }
                        else if dj > di { close[j * v + i] = normalized[j * v + i] }
                        else { further[j * v + i] = normalized[j * v + i] }
                    }
                }
                if h == 0 {
                    parts.append(root)
                } else {
                    parts.append(zip(root, close).map { $0 + $1 })
                    parts.append(further)
                }
            }
        default:
            preconditionFailure("unknown graph strategy \(strategy)")
        }
        partitions = parts.count
        self.adjacency = parts.flatMap { $0 }
    }

    /// The adjacency as Float32, as `torch.tensor(graph.A, dtype=torch.float32)` makes it.
    public var adjacencyFloat: [Float] { adjacency.map { Float($0) } }

    /// `get_hop_distance`: 0 on the diagonal, d for pairs first reached by the d-th power of the
    /// adjacency (d <= maxHop), +inf otherwise.
    static func hopDistance(layout: SkeletonLayout, maxHop: Int) -> [Double] {
        let v = layout.jointCount
        var adjacency = [Int](repeating: 0, count: v * v)
        for i in 0..<v { adjacency[i * v + i] = 1 }
        for (i, j) in layout.edges {
            adjacency[i * v + j] = 1
            adjacency[j * v + i] = 1
        }
        // arrive[d] = (A^d > 0); numpy's matrix_power on the 0/1 matrix; only positivity matters.
        var reach: [[Bool]] = []
        var power = [Int](repeating: 0, count: v * v)
        for i in 0..<v { power[i * v + i] = 1 }
        for _ in 0...maxHop {
            reach.append(power.map { $0 > 0 })
            var next = [Int](repeating: 0, count: v * v)
            for i in 0..<v {
                for k in 0..<v where power[i * v + k] != 0 {
                    for j in 0..<v where adjacency[k * v + j] != 0 { next[i * v + j] = 1 }
                }
            }
            power = next
        }
        var hop = [Double](repeating: .infinity, count: v * v)
        for d in stride(from: maxHop, through: 0, by: -1) {
            for i in 0..<v * v where reach[d][i] { hop[i] = Double(d) }
        }
        return hop
    }

    /// `normalize_digraph`: A @ diag(1 / column sums), zero columns left zero.
    static func normalizeDigraph(_ a: [Double], v: Int) -> [Double] {
        var result = a
        for column in 0..<v {
            var sum = 0.0
            for row in 0..<v { sum += a[row * v + column] }
            guard sum > 0 else { continue }
            let inverse = 1 / sum
            for row in 0..<v { result[row * v + column] = a[row * v + column] * inverse }
        }
        return result
    }
}
