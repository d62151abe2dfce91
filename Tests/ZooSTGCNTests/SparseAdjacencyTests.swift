// The sparse einsum's kernels against the contract written as plain loops: every bit, including the rows left
// over after the four-row groups, columns without a non-zero, signed zeros and infinities.
import Testing
@testable import ZooSTGCN

@Suite struct SparseAdjacencyTests {
    /// A (K=2, V=4, V) with column 3 empty in both partitions, and column 0 fed by three non-zeros.
    static let joints = 4, partitions = 2
    static let pattern: [Float] = {
        var a = [Float](repeating: 0, count: 2 * 4 * 4)
        for (k, v, w) in [(0, 0, 0), (0, 1, 0), (1, 2, 0), (0, 1, 1), (1, 1, 1), (1, 3, 2)] { a[(k * 4 + v) * 4 + w] = 1 }
        return a
    }()

    static func values(_ count: Int, seed: UInt32) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state >> 8) % 2001 - 1000) / 256
        }
    }

    /// `out[r, w]`: from +0, y·a rounded then added, in the order (w, k, v).
    static func reference(_ y: [Float], effective: [Float], rows: Int) -> [Float] {
        let v = joints
        var out = [Float](repeating: .nan, count: rows * v)
        for r in 0..<rows {
            for w in 0..<v {
                var sum: Float = 0
                for k in 0..<partitions {
                    for source in 0..<v where pattern[(k * v + source) * v + w] != 0 {
                        sum += y[(k * rows + r) * v + source] * effective[(k * v + source) * v + w]
                    }
                }
                out[r * v + w] = sum
            }
        }
        return out
    }

    @Test(arguments: [1, 3, 4, 7, 9]) func aggregateIsTheOrderedSumBitForBit(_ rows: Int) {
        let effective = zip(Self.pattern, Self.values(Self.pattern.count, seed: 1)).map { $0 * $1 }
        var y = Self.values(Self.partitions * rows * Self.joints, seed: UInt32(rows))
        y[0] = -0.0
        if rows > 2 { y[Self.joints * 2 + 1] = .infinity }
        let adjacency = SparseAdjacency(pattern: Self.pattern, effective: effective, partitions: Self.partitions, joints: Self.joints)
        var out = [Float](repeating: .nan, count: rows * Self.joints)
        y.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { out in adjacency.aggregate(out.baseAddress!, y.baseAddress!, rows: rows) }
        }
        let expected = Self.reference(y, effective: effective, rows: rows)
        #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func aColumnWhoseTermsCancelIsPositiveZero() {
        // y·a = 1 then -1: 1 + -1 = +0, and a column whose only term is -0 gives 0 + -0 = +0.
        var effective = [Float](repeating: 0, count: Self.pattern.count)
        effective[(0 * 4 + 0) * 4 + 0] = 1
        effective[(0 * 4 + 1) * 4 + 0] = -1
        effective[(1 * 4 + 2) * 4 + 0] = 0
        effective[(0 * 4 + 1) * 4 + 1] = 1
        effective[(1 * 4 + 1) * 4 + 1] = 1
        effective[(1 * 4 + 3) * 4 + 2] = -1
        let rows = 5
        var y = [Float](repeating: 1, count: Self.partitions * rows * Self.joints)
        for r in 0..<rows { y[(1 * rows + r) * 4 + 3] = 0 }
        let adjacency = SparseAdjacency(pattern: Self.pattern, effective: effective, partitions: Self.partitions, joints: Self.joints)
        var out = [Float](repeating: .nan, count: rows * Self.joints)
        y.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { out in adjacency.aggregate(out.baseAddress!, y.baseAddress!, rows: rows) }
        }
        #expect(out.map(\.bitPattern) == Self.reference(y, effective: effective, rows: rows).map(\.bitPattern))
        #expect(out[0].bitPattern == Float(0).bitPattern && out[2].bitPattern == Float(0).bitPattern && out[3].bitPattern == Float(0).bitPattern)
    }
}
