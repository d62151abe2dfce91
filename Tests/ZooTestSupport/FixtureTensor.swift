import Foundation
import Testing

/// A tensor dumped by the PyTorch fixture generator: `X.bin` (raw little-endian, C order) + `X.json`.
public struct FixtureTensor {
    public var shape: [Int]
    public var dtype: String
    public var values: [Double]

    public var floats: [Float] { values.map { Float($0) } }

    /// Loads `relative` (without extension) under ../shared/fixtures.
    public static func load(_ relative: String) throws -> FixtureTensor {
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url(relative + ".json"))) as? [String: Any]
        let shape = meta?["shape"] as? [Int] ?? []
        let dtype = meta?["dtype"] as? String ?? "float32"
        let data = try Data(contentsOf: Fixtures.url(relative + ".bin"))
        let count = shape.reduce(1, *)
        let values: [Double] = data.withUnsafeBytes { raw in
            switch dtype {
            case "float64": (0..<count).map { Double(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self).littleEndian) }
            case "int64": (0..<count).map { Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
            default: (0..<count).map { Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian)) }
            }
        }
        return FixtureTensor(shape: shape, dtype: dtype, values: values)
    }
}

/// Compares element-wise with |a - e| <= absolute or <= relative * |e|; reports maxdiff and the first
/// mismatching index (llm.c `check_tensor` style).
public func expectClose(_ actual: [Float], _ expected: [Float], absolute: Float = 1e-4, relative: Float = 1e-5,
                        _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var maxDiff: Float = 0
    var firstBad: Int?
    for i in actual.indices {
        let diff = abs(actual[i] - expected[i])
        if !(diff <= absolute || diff <= relative * abs(expected[i])) {
            if firstBad == nil { firstBad = i }
        }
        if diff.isNaN { firstBad = firstBad ?? i } else { maxDiff = max(maxDiff, diff) }
    }
    if let firstBad {
        Issue.record("\(label): maxdiff \(maxDiff); first mismatch at \(firstBad): \(actual[firstBad]) vs \(expected[firstBad])", sourceLocation: sourceLocation)
    }
}

/// The largest absolute difference.
public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
