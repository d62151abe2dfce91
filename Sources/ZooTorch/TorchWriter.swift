// Writing checkpoints that `torch.load(f, weights_only=True)` and MMAction2 0.x load back:
// a protocol-2 pickle that uses only the globals the weights-only unpickler allows
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage), inside torch's zip container:
//   <archive>/data.pkl, <archive>/byteorder ("little"), <archive>/data/<key> (64-byte aligned), <archive>/version ("3\n").

/// A value to pickle.
public indirect enum PickleOutput: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([PickleOutput])
    case list([PickleOutput])
    /// A plain dict (string keys, insertion order).
    case dict([(String, PickleOutput)])
    /// A dict with integer keys (torch optimizer `state`).
    case intDict([(Int, PickleOutput)])
    /// `collections.OrderedDict`.
    case orderedDict([(String, PickleOutput)])
    /// A contiguous tensor whose bytes are storage `key`.
    case tensor(key: String, type: ScalarType, shape: [Int])
    /// Python `bytes` (protocol 3+ opcode BINBYTES).
    case bytes([UInt8])
    /// A numpy array as numpy 1.x pickles it: `numpy.core.multiarray._reconstruct` + BUILD with raw little-endian bytes.
    case ndarray(type: ScalarType, shape: [Int], data: [UInt8])
}

public struct PickleWriter {
    public private(set) var bytes: [UInt8]
    var memo: [String: Int] = [:]

    /// Protocol 2 (what torch.save uses) unless `bytes` or `ndarray` values need protocol 3+ (annotation files use 4).
    public init(protocol version: UInt8 = 2) {
        bytes = [0x80, version]
    }

    public mutating func write(_ value: PickleOutput) {
        switch value {
        case .none: bytes.append(0x4E)
        case .bool(let flag): bytes.append(flag ? 0x88 : 0x89)
        case .int(let number): writeInt(number)
        case .float(let number):
            bytes.append(0x47)
            withUnsafeBytes(of: number.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        case .string(let text): writeString(text)
        case .tuple(let items):
            switch items.count {
            case 0: bytes.append(0x29)
            case 1...3:
                for item in items { write(item) }
                bytes.append([0x85, 0x86, 0x87][items.count - 1])
            default:
                bytes.append(0x28)
                for item in items { write(item) }
                bytes.append(0x74)
            }
        case .list(let items):
            bytes.append(0x5D)
            if !items.isEmpty {
                bytes.append(0x28)
                for item in items { write(item) }
                bytes.append(0x65)
            }
        case .dict(let entries):
            bytes.append(0x7D)
            writeItems(entries.map { (PickleOutput.string($0.0), $0.1) })
        case .intDict(let entries):
            bytes.append(0x7D)
            writeItems(entries.map { (PickleOutput.int($0.0), $0.1) })
        case .orderedDict(let entries):
            writeGlobal("collections", "OrderedDict")
            bytes.append(0x29)
            bytes.append(0x52)  // REDUCE
            writeItems(entries.map { (PickleOutput.string($0.0), $0.1) })
        case .bytes(let data):
            bytes.append(0x42)
            withUnsafeBytes(of: UInt32(data.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: data)
        case .ndarray(let type, let shape, let data):
            writeGlobal("numpy.core.multiarray", "_reconstruct")
            writeGlobal("numpy", "ndarray")
            write(.tuple([.int(0)]))
            write(.bytes(Array("b".utf8)))
            bytes.append(0x87)  // TUPLE3
            bytes.append(0x52)  // REDUCE
            // state: (1, shape, dtype, is_fortran, data)
            bytes.append(0x28)
            writeInt(1)
            write(.tuple(shape.map { .int($0) }))
            writeGlobal("numpy", "dtype")
            write(.tuple([.string(type.numpyCode), .bool(false), .bool(true)]))
            bytes.append(0x52)
            write(.tuple([.int(3), .string(type.byteCount == 1 ? "|" : "<"), .none, .none, .none, .int(-1), .int(-1), .int(0)]))
            bytes.append(0x62)  // BUILD (dtype)
            bytes.append(0x89)
            write(.bytes(data))
            bytes.append(0x74)
            bytes.append(0x62)  // BUILD (array)
        case .tensor(let key, let type, let shape):
            writeGlobal("torch._utils", "_rebuild_tensor_v2")
            bytes.append(0x28)  // MARK: the argument tuple
            // persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)
            bytes.append(0x28)
            writeString("storage")
            writeGlobal("torch", type.storageClass)
            writeString(key)
            writeString("cpu")
            writeInt(shape.reduce(1, *))
            bytes.append(0x74)
            bytes.append(0x51)  // BINPERSID
            writeInt(0)         // storage offset
            write(.tuple(shape.map { .int($0) }))
            var stride: [PickleOutput] = []
            var running = 1
            for size in shape.reversed() {
                stride.insert(.int(running), at: 0)
                running *= size
            }
            write(.tuple(stride))
            bytes.append(0x89)  // requires_grad False
            write(.orderedDict([]))  // backward hooks
            bytes.append(0x74)  // TUPLE
            bytes.append(0x52)  // REDUCE
        }
    }

    /// Ends the pickle.
    public mutating func finish() { bytes.append(0x2E) }

    mutating func writeItems(_ entries: [(PickleOutput, PickleOutput)]) {
        guard !entries.isEmpty else { return }
        bytes.append(0x28)
        for (key, value) in entries {
            write(key)
            write(value)
        }
        bytes.append(0x75)  // SETITEMS
    }

    mutating func writeInt(_ number: Int) {
        if number >= 0 && number < 256 {
            bytes.append(0x4B)
            bytes.append(UInt8(number))
        } else if number >= 0 && number < 65536 {
            bytes.append(0x4D)
            bytes.append(UInt8(number & 0xFF))
            bytes.append(UInt8(number >> 8))
        } else if number >= Int(Int32.min) && number <= Int(Int32.max) {
            bytes.append(0x4A)
            withUnsafeBytes(of: Int32(number).littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(0x8A)
            bytes.append(8)
            withUnsafeBytes(of: Int64(number).littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    mutating func writeString(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(0x58)
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    mutating func writeGlobal(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = memo[key] {
            bytes.append(0x68)
            bytes.append(UInt8(index))
            return
        }
        bytes.append(0x63)
        bytes.append(contentsOf: Array((module + "\n" + name + "\n").utf8))
        if memo.count < 256 {
            let index = memo.count
            memo[key] = index
            bytes.append(0x71)
            bytes.append(UInt8(index))
        }
    }
}

/// A torch zip archive written entry by entry (stored, CRC-32, 64-byte aligned data, ZIP64 when needed).
public struct ZipWriter {
    public private(set) var bytes: [UInt8] = []
    var central: [UInt8] = []
    var count = 0

    public init() {}

    public mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let offset = bytes.count
        let crc = CRC32.checksum(data)
        // Pad the local extra field so the data starts on a 64-byte boundary (torch's own alignment).
        let headerEnd = offset + 30 + nameBytes.count + 4
        let padding = (64 - headerEnd % 64) % 64
        let large = data.count >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF
        appendLE(&bytes, 0x0403_4B50, 4)
        appendLE(&bytes, 20, 2); appendLE(&bytes, 0, 2); appendLE(&bytes, 0, 2)  // version, flags, method 0
        appendLE(&bytes, 0, 2); appendLE(&bytes, 0, 2)                              // time, date
        appendLE(&bytes, UInt64(crc), 4)
        appendLE(&bytes, large ? 0xFFFF_FFFF : UInt64(data.count), 4)
        appendLE(&bytes, large ? 0xFFFF_FFFF : UInt64(data.count), 4)
        appendLE(&bytes, UInt64(nameBytes.count), 2)
        appendLE(&bytes, UInt64(4 + padding), 2)
        bytes.append(contentsOf: nameBytes)
        appendLE(&bytes, 0x4B50, 2)  // private padding tag, as miniz/torch use ("FB" in torch; any tag works)
        appendLE(&bytes, UInt64(padding), 2)
        bytes.append(contentsOf: [UInt8](repeating: 0x5A, count: padding))
        bytes.append(contentsOf: data)

        var extra: [UInt8] = []
        if large {
            appendLE(&extra, 1, 2); appendLE(&extra, 24, 2)
            appendLE(&extra, UInt64(data.count), 8); appendLE(&extra, UInt64(data.count), 8); appendLE(&extra, UInt64(offset), 8)
        }
        appendLE(&central, 0x0201_4B50, 4)
        appendLE(&central, 45, 2); appendLE(&central, 20, 2); appendLE(&central, 0, 2); appendLE(&central, 0, 2)
        appendLE(&central, 0, 2); appendLE(&central, 0, 2)
        appendLE(&central, UInt64(crc), 4)
        appendLE(&central, large ? 0xFFFF_FFFF : UInt64(data.count), 4)
        appendLE(&central, large ? 0xFFFF_FFFF : UInt64(data.count), 4)
        appendLE(&central, UInt64(nameBytes.count), 2)
        appendLE(&central, UInt64(extra.count), 2)
        appendLE(&central, 0, 2); appendLE(&central, 0, 2); appendLE(&central, 0, 2); appendLE(&central, 0, 4)
        appendLE(&central, large ? 0xFFFF_FFFF : UInt64(offset), 4)
        central.append(contentsOf: nameBytes)
        central.append(contentsOf: extra)
        count += 1
    }

    /// Appends the central directory and end records; returns the archive.
    public mutating func finish() -> [UInt8] {
        let directoryOffset = bytes.count
        bytes.append(contentsOf: central)
        let directorySize = central.count
        if directoryOffset >= 0xFFFF_FFFF || count >= 0xFFFF {
            let record = bytes.count
            appendLE(&bytes, 0x0606_4B50, 4); appendLE(&bytes, 44, 8)
            appendLE(&bytes, 45, 2); appendLE(&bytes, 45, 2); appendLE(&bytes, 0, 4); appendLE(&bytes, 0, 4)
            appendLE(&bytes, UInt64(count), 8); appendLE(&bytes, UInt64(count), 8)
            appendLE(&bytes, UInt64(directorySize), 8); appendLE(&bytes, UInt64(directoryOffset), 8)
            appendLE(&bytes, 0x0706_4B50, 4); appendLE(&bytes, 0, 4); appendLE(&bytes, UInt64(record), 8); appendLE(&bytes, 1, 4)
        }
        appendLE(&bytes, 0x0605_4B50, 4)
        appendLE(&bytes, 0, 2); appendLE(&bytes, 0, 2)
        appendLE(&bytes, UInt64(min(count, 0xFFFF)), 2); appendLE(&bytes, UInt64(min(count, 0xFFFF)), 2)
        appendLE(&bytes, UInt64(min(directorySize, 0xFFFF_FFFF)), 4)
        appendLE(&bytes, UInt64(min(directoryOffset, 0xFFFF_FFFF)), 4)
        appendLE(&bytes, 0, 2)
        return bytes
    }

    func appendLE(_ target: inout [UInt8], _ value: UInt64, _ size: Int) {
        for i in 0..<size { target.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBufferPointer { buffer in
            for byte in buffer { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Builds a torch zip checkpoint from a pickled object and its storages.
public enum TorchSaver {
    /// - Parameters:
    ///   - object: the object to pickle (tensors refer to storages by key).
    ///   - storages: storage key -> raw little-endian bytes.
    ///   - archiveName: the folder name inside the zip (torch uses the file's stem).
    public static func archive(_ object: PickleOutput, storages: [(key: String, bytes: [UInt8])], archiveName: String = "archive") -> [UInt8] {
        var pickle = PickleWriter()
        pickle.write(object)
        pickle.finish()
        var zip = ZipWriter()
        zip.add("\(archiveName)/data.pkl", pickle.bytes)
        zip.add("\(archiveName)/byteorder", Array("little".utf8))
        for storage in storages { zip.add("\(archiveName)/data/\(storage.key)", storage.bytes) }
        zip.add("\(archiveName)/version", Array("3\n".utf8))
        return zip.finish()
    }
}
