// Reading `.pth` files in both of `torch.save`'s containers without running any code.
//
// Zip container (torch >= 1.6 default): see ZipArchive.swift; `data.pkl` is the pickled object and each
// storage's bytes are the entry `<prefix>/data/<key>`, little-endian.
// Legacy container (`_use_new_zipfile_serialization=False`): five concatenated pickles — magic number
// 0x1950a86a20f9469cfc6c, protocol version 1001, sys_info dict, the object, the sorted list of storage keys —
// then for each key in that order an 8-byte little-endian element count and the raw bytes.
// Tensors are `_rebuild_tensor_v2(storage, offset, size, stride, ...)` over a storage from a persistent id.
import Foundation

/// A tensor read from a checkpoint, gathered into contiguous row-major order.
public struct StoredTensor: Sendable, Equatable {
    public var type: ScalarType
    public var shape: [Int]
    /// Values as Float (for floating types; integer types converted too).
    public var floats: [Float]
    /// Exact values for integer types (nil for floating types).
    public var integers: [Int64]?

    public var count: Int { shape.reduce(1, *) }

    public init(type: ScalarType, shape: [Int], floats: [Float], integers: [Int64]?) {
        self.type = type
        self.shape = shape
        self.floats = floats
        self.integers = integers
    }
}

public struct TorchCheckpoint: Sendable {
    public enum Container: String, Sendable { case zip, legacy }

    /// The unpickled object (for MMCV: a dict with `meta`, `state_dict`, maybe `optimizer`).
    public let root: PickleValue
    public let container: Container
    let bytes: [UInt8]
    /// Storage key -> (byte offset, byte count) in `bytes`.
    let storages: [String: (offset: Int, count: Int)]

    public static func load(contentsOf url: URL) throws -> TorchCheckpoint {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw CheckpointError.notACheckpoint("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        return try load(bytes: [UInt8](data))
    }

    public static func load(bytes: [UInt8]) throws(CheckpointError) -> TorchCheckpoint {
        let result: Result<TorchCheckpoint, CheckpointError> = bytes.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in
                if raw.count >= 4 && raw[0] == 0x50 && raw[1] == 0x4B && raw[2] == 0x03 && raw[3] == 0x04 {
                    return try loadZip(raw, bytes: bytes)
                }
                if raw.count >= 2 && raw[0] == 0x80 && raw[1] == 0x02 {
                    return try loadLegacy(raw, bytes: bytes)
                }
                throw .notACheckpoint("neither a torch zip archive nor a legacy torch pickle")
            }
        }
        return try result.get()
    }

    static func loadZip(_ raw: UnsafeRawBufferPointer, bytes: [UInt8]) throws(CheckpointError) -> TorchCheckpoint {
        let archive = try ZipArchive(raw)
        guard let pickle = archive.entries.first(where: { $0.name.hasSuffix("/data.pkl") || $0.name == "data.pkl" }) else {
            throw .missingPickle
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count)) + "data/"
        var storages: [String: (Int, Int)] = [:]
        for entry in archive.entries where entry.name.hasPrefix(prefix) {
            storages[String(entry.name.dropFirst(prefix.count))] = (entry.offset, entry.size)
        }
        let slice = UnsafeRawBufferPointer(rebasing: raw[pickle.offset..<pickle.offset + pickle.size])
        let (root, _) = try Unpickler.load(slice, unknownGlobals: .keepOpaque)
        try refuseOpaqueRoot(root)
        let checkpoint = TorchCheckpoint(root: root, container: .zip, bytes: bytes, storages: storages)
        try checkpoint.checkStorages(root)
        return checkpoint
    }

    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    static func loadLegacy(_ raw: UnsafeRawBufferPointer, bytes: [UInt8]) throws(CheckpointError) -> TorchCheckpoint {
        // The magic number is a 10-byte LONG1, wider than the generic reader takes: compare its bytes.
        guard raw.count >= legacyMagic.count, raw.prefix(legacyMagic.count).elementsEqual(legacyMagic) else {
            throw .notACheckpoint("a pickle without torch's magic number")
        }
        let (version, afterVersion) = try Unpickler.load(raw, offset: legacyMagic.count)
        guard version.int == 1001 else { throw .notACheckpoint("legacy protocol version \(version.int.map(String.init) ?? version.kind), expected 1001") }
        let (systemInfo, afterInfo) = try Unpickler.load(raw, offset: afterVersion)
        if let info = systemInfo.dictionary, case .bool(false)? = info["little_endian"] {
            throw .notACheckpoint("big-endian legacy checkpoints are not supported")
        }
        let (root, afterRoot) = try Unpickler.load(raw, offset: afterInfo, unknownGlobals: .keepOpaque)
        try refuseOpaqueRoot(root)
        let (keyList, afterKeys) = try Unpickler.load(raw, offset: afterRoot)
        guard let keys = keyList.items?.map(\.string), !keys.contains(nil) else {
            throw .malformedPickle("legacy storage key list is not a list of strings", offset: afterRoot)
        }
        var types: [String: ScalarType] = [:]
        try walk(root) { reference throws(CheckpointError) in types[reference.key] = reference.type }
        var storages: [String: (Int, Int)] = [:]
        var cursor = afterKeys
        for case let key? in keys {
            guard cursor + 8 <= raw.count else { throw .storageOutOfBounds(key: key, needed: 8, available: raw.count - cursor) }
            let count = raw.loadUnaligned(fromByteOffset: cursor, as: UInt64.self).littleEndian
            cursor += 8
            guard let type = types[key] else { throw .malformedPickle("storage '\(key)' is listed but never used", offset: cursor) }
            let (size, overflow) = Int(clamping: count).multipliedReportingOverflow(by: type.byteCount)
            guard !overflow, count <= UInt64(Int.max) else { throw .sizeOverflow(tensor: key) }
            guard size <= raw.count - cursor else { throw .storageOutOfBounds(key: key, needed: size, available: raw.count - cursor) }
            storages[key] = (cursor, size)
            cursor += size
        }
        let checkpoint = TorchCheckpoint(root: root, container: .legacy, bytes: bytes, storages: storages)
        try checkpoint.checkStorages(root)
        return checkpoint
    }

    /// The pickled object itself may not be opaque: that is the classic `__reduce__` payload, refused as before.
    static func refuseOpaqueRoot(_ root: PickleValue) throws(CheckpointError) {
        if let object = root.opaqueObject { throw .disallowedGlobal(module: object.module, name: object.name) }
    }

    /// Every storage a tensor or persistent id refers to exists and holds its declared elements.
    func checkStorages(_ root: PickleValue) throws(CheckpointError) {
        try Self.walk(root) { reference throws(CheckpointError) in
            guard let (_, available) = storages[reference.key] else { throw .missingStorage(key: reference.key) }
            let (needed, overflow) = reference.count.multipliedReportingOverflow(by: reference.type.byteCount)
            guard !overflow else { throw .sizeOverflow(tensor: reference.key) }
            guard needed <= available else { throw .storageOutOfBounds(key: reference.key, needed: needed, available: available) }
        }
    }

    public static let maxNestingDepth = PickleLimits.maxNestingDepth

    /// Visits every storage reference in the tree. Values shared through the memo are visited once (a pickle can
    /// share a tuple twice at each of 200 levels: a tree of 2^200 nodes in a few hundred bytes); nesting deeper
    /// than ``maxNestingDepth`` is refused.
    static func walk(_ value: PickleValue, _ visit: (StorageReference) throws(CheckpointError) -> Void) throws(CheckpointError) {
        var seen: Set<ObjectIdentifier> = []
        // A shared tuple is one array buffer; `value` keeps every buffer alive during the walk, so addresses are unique.
        var seenTuples: Set<UnsafeRawPointer> = []
        func recurse(_ value: PickleValue, _ depth: Int) throws(CheckpointError) {
            guard depth <= maxNestingDepth else { throw .limitExceeded("nesting depth", limit: maxNestingDepth) }
            switch value {
            case .storage(let reference): try visit(reference)
            case .tensor(let tensor): try visit(tensor.storage)
            case .tuple(let items):
                guard let buffer = items.withUnsafeBufferPointer({ $0.baseAddress.map(UnsafeRawPointer.init) }),
                      seenTuples.insert(buffer).inserted else { return }
                for item in items { try recurse(item, depth + 1) }
            case .list(let list):
                guard seen.insert(ObjectIdentifier(list)).inserted else { return }
                for item in list.items { try recurse(item, depth + 1) }
            case .dict(let dict):
                guard seen.insert(ObjectIdentifier(dict)).inserted else { return }
                for entry in dict.entries {
                    try recurse(entry.key, depth + 1)
                    try recurse(entry.value, depth + 1)
                }
                if let attributes = dict.attributes { try recurse(attributes, depth + 1) }
            default: break
            }
        }
        try recurse(value, 0)
    }

    // MARK: - Tensors

    /// Gathers a tensor's elements (honouring its offset and strides) into a contiguous ``StoredTensor``.
    public func tensor(_ reference: TensorReference) throws(CheckpointError) -> StoredTensor {
        guard let (offset, available) = storages[reference.storage.key] else { throw .missingStorage(key: reference.storage.key) }
        let type = reference.storage.type
        var count = 1
        for size in reference.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .sizeOverflow(tensor: reference.storage.key) }
            count = product
        }
        // Contiguous row-major strides let us decode in one pass.
        var contiguous = true
        var expected = 1
        for (size, stride) in zip(reference.shape, reference.stride).reversed() {
            if size != 1 && stride != expected { contiguous = false }
            expected *= size
        }
        return bytes.withUnsafeBytes { all in
            let storage = UnsafeRawBufferPointer(rebasing: all[offset..<offset + available])
            var source = storage
            var indices: [Int]? = nil
            if contiguous {
                let start = reference.offset * type.byteCount
                source = UnsafeRawBufferPointer(rebasing: storage[start..<start + count * type.byteCount])
            } else {
                indices = Self.gatherIndices(reference, count: count)
            }
            if let indices {
                var gathered = [UInt8](repeating: 0, count: count * type.byteCount)
                for (i, index) in indices.enumerated() {
                    for b in 0..<type.byteCount { gathered[i * type.byteCount + b] = storage[index * type.byteCount + b] }
                }
                return gathered.withUnsafeBytes { Self.decode($0, type: type, shape: reference.shape, count: count) }
            }
            return Self.decode(source, type: type, shape: reference.shape, count: count)
        }
    }

    static func gatherIndices(_ reference: TensorReference, count: Int) -> [Int] {
        var result = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: reference.shape.count)
        for i in 0..<count {
            var position = reference.offset
            for d in index.indices { position += index[d] * reference.stride[d] }
            result[i] = position
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < reference.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    static func decode(_ raw: UnsafeRawBufferPointer, type: ScalarType, shape: [Int], count: Int) -> StoredTensor {
        let floats = NumericDecoding.floats(raw, type: type, count: count)
        let integers = type.isFloatingPoint ? nil : NumericDecoding.int64s(raw, type: type, count: count)
        return StoredTensor(type: type, shape: shape, floats: floats, integers: integers)
    }

    /// The model weights: `root['state_dict']` for MMCV/mmengine checkpoints, else the root dict itself. Entries that
    /// are not tensors are refused by name; one that is an opaque object (a class outside the allowlist) is
    /// ``CheckpointError/opaqueObject(module:name:usedBy:)``. Opaque objects elsewhere (`message_hub`) are not read.
    public func stateDict() throws(CheckpointError) -> [(name: String, tensor: StoredTensor)] {
        guard let top = root.dictionary else { throw .notACheckpoint("the pickled object is a \(root.kind), not a dict") }
        let weights: PickleDict
        if let inner = top["state_dict"] {
            if let object = inner.opaqueObject { throw .opaqueObject(module: object.module, name: object.name, usedBy: "'state_dict'") }
            guard let dict = inner.dictionary else { throw .notACheckpoint("'state_dict' is a \(inner.kind), not a dict") }
            weights = dict
        } else {
            weights = top
        }
        var result: [(String, StoredTensor)] = []
        for entry in weights.entries {
            guard let name = entry.key.string else { throw .notACheckpoint("state_dict key of type \(entry.key.kind)") }
            if let object = entry.value.opaqueObject { throw .opaqueObject(module: object.module, name: object.name, usedBy: "state_dict['\(name)']") }
            guard case .tensor(let reference) = entry.value else { throw .notACheckpoint("state_dict['\(name)'] is a \(entry.value.kind), not a tensor") }
            result.append((name, try tensor(reference)))
        }
        return result
    }

    /// `root['meta']` as a dict, when present.
    public var meta: PickleDict? { root.dictionary?["meta"]?.dictionary }
}
