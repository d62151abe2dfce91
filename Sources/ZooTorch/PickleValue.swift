/// A value read from a pickle. Lists and dicts are reference types while unpickling (pickle mutates them after
/// memoizing), exposed read-only afterwards.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed GLOBAL not (yet) called, e.g. `torch.FloatStorage` or `numpy.ndarray`.
    case global(module: String, name: String)
    /// A storage from a persistent id, resolved by the container.
    case storage(StorageReference)
    /// A tensor rebuilt by `_rebuild_tensor_v2` (data not yet read).
    case tensor(TensorReference)
    /// A numpy array or dtype.
    case numpy(NumpyObject)
    /// A global outside the allowlist, or what calling one would have built: kept by name, never imported or run.
    case opaque(OpaqueObject)

    public var int: Int? { if case .int(let value) = self { value } else if case .bool(let b) = self { b ? 1 : 0 } else { nil } }
    public var double: Double? {
        switch self {
        case .float(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }
    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var items: [PickleValue]? {
        switch self {
        case .list(let list): list.items
        case .tuple(let items): items
        default: nil
        }
    }
    public var opaqueObject: OpaqueObject? { if case .opaque(let object) = self { object } else { nil } }
    /// Dict entries keyed by string (other keys skipped), in insertion order.
    public var dictionary: PickleDict? { if case .dict(let dict) = self { dict } else { nil } }

    /// A short description of the value's kind, for errors.
    public var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let module, let name): "\(module).\(name)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .numpy(let object): object.array != nil ? "ndarray" : "numpy dtype"
        case .opaque(let object): "opaque \(object.module).\(object.name)\(object.isInstance ? " object" : "")"
        }
    }
}

/// A pickled list. Mutable only while the reader builds it: once placed inside another container it is frozen,
/// which is what keeps a pickle from building a cycle (see ``Unpickler``).
public final class PickleList: @unchecked Sendable {
    public internal(set) var items: [PickleValue] = []
    /// Nesting depth of the deepest container inside (1 for a flat list); exact, since children are frozen.
    var depth = 1
    /// Set when the list becomes a child of another container; a frozen list is never changed again.
    var frozen = false
}

/// A pickled dict (or OrderedDict), in insertion order. String and int keys are unique, as in Python; lookups
/// go through an index, so a dict of n keys costs O(n) to build, not O(n²).
public final class PickleDict: @unchecked Sendable {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Attributes set by BUILD (e.g. an OrderedDict's `_metadata`); kept but unused.
    public internal(set) var attributes: PickleValue?
    var depth = 1
    var frozen = false
    /// Position in `entries` of each string or int key.
    private var index: [Key: Int] = [:]

    enum Key: Hashable {
        case string(String)
        case int(Int)

        init?(_ value: PickleValue) {
            switch value {
            case .string(let text): self = .string(text)
            case .int(let number): self = .int(number)
            default: return nil
            }
        }
    }

    public subscript(key: String) -> PickleValue? {
        index[.string(key)].map { entries[$0].value }
    }

    public var keys: [String] { entries.compactMap { $0.key.string } }

    func set(_ key: PickleValue, _ value: PickleValue) {
        guard let hashable = Key(key) else { entries.append((key, value)); return }
        if let position = index[hashable] {
            entries[position].value = value
        } else {
            index[hashable] = entries.count
            entries.append((key, value))
        }
    }
}

/// Element types of torch storages and numpy arrays.
public enum ScalarType: String, Sendable, Equatable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    public var byteCount: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .float16 || self == .bfloat16 }

    /// The torch storage class (`torch.FloatStorage`) for this type.
    init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    public var storageClass: String {
        switch self {
        case .float32: "FloatStorage"
        case .float64: "DoubleStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }

    /// numpy's type code (`f4`, `i8`, ...).
    public var numpyCode: String {
        switch self {
        case .float32: "f4"
        case .float64: "f8"
        case .float16: "f2"
        case .bfloat16: "V2"
        case .int64: "i8"
        case .int32: "i4"
        case .int16: "i2"
        case .int8: "i1"
        case .uint8: "u1"
        case .bool: "b1"
        }
    }

    /// From a numpy dtype string such as `f4`, `<f8`, `i8`, `f2`, `u1`, `b1`.
    init?(numpy code: String) {
        var code = Substring(code)
        if let first = code.first, "<>|=".contains(first) { code = code.dropFirst() }
        switch code {
        case "f4": self = .float32
        case "f8": self = .float64
        case "f2": self = .float16
        case "i8": self = .int64
        case "i4": self = .int32
        case "i2": self = .int16
        case "i1": self = .int8
        case "u1": self = .uint8
        case "b1": self = .bool
        default: return nil
        }
    }
}

public struct StorageReference: Sendable, Equatable {
    public var key: String
    public var type: ScalarType
    public var count: Int
}

public struct TensorReference: Sendable, Equatable {
    public var storage: StorageReference
    public var offset: Int
    public var shape: [Int]
    public var stride: [Int]
}

/// numpy objects built through `_reconstruct` + BUILD, or `dtype` + BUILD.
public final class NumpyObject: @unchecked Sendable {
    public internal(set) var dtype: ScalarType?
    public internal(set) var bigEndian = false
    /// For arrays: (shape, dtype, fortran order, raw bytes) once BUILD ran.
    public internal(set) var array: NumpyArray?
    let isArray: Bool

    init(isArray: Bool) { self.isArray = isArray }
}

public struct NumpyArray: Sendable {
    public var shape: [Int]
    public var type: ScalarType
    public var fortranOrder: Bool
    public var bigEndian: Bool
    public var data: [UInt8]
}

/// What an unpickler does with a global outside its allowlist.
public enum UnknownGlobals: Sendable, Equatable {
    /// Throw ``CheckpointError/disallowedGlobal(module:name:)`` at the GLOBAL opcode.
    case refuse
    /// Keep it as an inert ``OpaqueObject`` (nothing imported, called or given its state).
    case keepOpaque
}

/// A global outside the allowlist, by name only, or an object "built" from one (by REDUCE or NEWOBJ) whose arguments
/// and state were dropped. It holds no other pickle value, so it can neither run code nor close a cycle.
public struct OpaqueObject: Sendable, Equatable {
    public var module: String
    public var name: String
    /// False for the global itself (`mmengine.logging.history_buffer.HistoryBuffer`), true for a result of calling it.
    public var isInstance: Bool

    var instance: OpaqueObject { OpaqueObject(module: module, name: name, isInstance: true) }
}
