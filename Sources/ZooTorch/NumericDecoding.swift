/// Little/big-endian decoding of raw storage bytes into Float or Double values.
public enum NumericDecoding {
    /// Decodes `count` elements of `type` as Float (integers converted).
    public static func floats(_ raw: UnsafeRawBufferPointer, type: ScalarType, count: Int, bigEndian: Bool = false) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            decode(raw, type: type, count: count, bigEndian: bigEndian) { i, value in buffer[i] = Float(value) } float32: { i, value in buffer[i] = value }
            initialized = count
        }
    }

    public static func doubles(_ raw: [UInt8], type: ScalarType, count: Int, bigEndian: Bool = false) -> [Double] {
        raw.withUnsafeBytes { raw in
            var result = [Double](repeating: 0, count: count)
            decode(raw, type: type, count: count, bigEndian: bigEndian) { i, value in result[i] = value } float32: { i, value in result[i] = Double(value) }
            return result
        }
    }

    /// Decodes as Int64 (floats truncated).
    public static func int64s(_ raw: UnsafeRawBufferPointer, type: ScalarType, count: Int, bigEndian: Bool = false) -> [Int64] {
        var result = [Int64](repeating: 0, count: count)
        if type == .int64 && !bigEndian {
            for i in 0..<count { result[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self) }
            return result
        }
        decode(raw, type: type, count: count, bigEndian: bigEndian) { i, value in result[i] = Int64(value) } float32: { i, value in result[i] = Int64(value) }
        return result
    }

    @inline(__always)
    static func decode(_ raw: UnsafeRawBufferPointer, type: ScalarType, count: Int, bigEndian: Bool,
                       _ store: (Int, Double) -> Void, float32 storeFloat: (Int, Float) -> Void) {
        @inline(__always) func word<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let value = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
        }
        switch type {
        case .float32: for i in 0..<count { storeFloat(i, Float(bitPattern: word(i, UInt32.self))) }
        case .float64: for i in 0..<count { store(i, Double(bitPattern: word(i, UInt64.self))) }
        case .float16: for i in 0..<count { storeFloat(i, Float(Float16(bitPattern: word(i, UInt16.self)))) }
        case .bfloat16: for i in 0..<count { storeFloat(i, Float(bitPattern: UInt32(word(i, UInt16.self)) << 16)) }
        case .int64: for i in 0..<count { store(i, Double(Int64(bitPattern: word(i, UInt64.self)))) }
        case .int32: for i in 0..<count { store(i, Double(Int32(bitPattern: word(i, UInt32.self)))) }
        case .int16: for i in 0..<count { store(i, Double(Int16(bitPattern: word(i, UInt16.self)))) }
        case .int8: for i in 0..<count { store(i, Double(Int8(bitPattern: raw[i]))) }
        case .uint8, .bool: for i in 0..<count { store(i, Double(raw[i])) }
        }
    }
}

/// The inverse for writing: Float32 values as raw little-endian bytes (torch storages, numpy arrays).
public enum NumericEncoding {
    public static func littleEndian(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        out.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() { raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return out
    }
}
