// A pickle reader that executes nothing.
//
// Format: Python pickle protocols 2-5 (protocol 0/1 text opcodes are refused). Accepted opcodes:
//   PROTO FRAME STOP MARK POP POP_MARK DUP
//   NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1 BINFLOAT
//   BINUNICODE SHORT_BINUNICODE BINUNICODE8 BINSTRING SHORT_BINSTRING BINBYTES SHORT_BINBYTES BINBYTES8
//   EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST APPEND APPENDS EMPTY_DICT SETITEM SETITEMS
//   BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET GLOBAL STACK_GLOBAL REDUCE BUILD BINPERSID
// GLOBAL allowlist (anything else is refused at the GLOBAL opcode, before any call):
//   collections.OrderedDict                       -> an empty dict
//   torch._utils._rebuild_tensor_v2               -> TensorReference(storage, offset, size, stride)
//   torch._utils._rebuild_parameter               -> its tensor argument
//   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage (only inside persistent ids)
//   numpy.core.multiarray._reconstruct / numpy._core.multiarray._reconstruct, numpy.ndarray, numpy.dtype
//   numpy.core.multiarray.scalar / numpy._core.multiarray.scalar   -> a Python int/float
//   _codecs.encode(str, 'latin1')                 -> bytes (protocol 2 files written by Python 3)
// Persistent ids: ('storage', <storage class>, key, location, numel[, view_metadata]) -> StorageReference.

/// Named resource limits; exceeding one is ``CheckpointError/limitExceeded(_:limit:)``.
public enum PickleLimits {
    public static let maxPickleBytes = 4 << 30
    public static let maxMemoEntries = 10_000_000
    public static let maxStackDepth = 10_000_000
    public static let maxMarkDepth = 1000
    public static let maxTensorRank = 16
    /// Containers nested deeper than this are refused while reading (deeper trees would also overflow the
    /// stack when freed).
    public static let maxNestingDepth = 200
}

public struct Unpickler {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    /// Unpickles one pickle from `bytes`, starting at `offset`. Returns the value and the offset after STOP.
    public static func load(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) throws(CheckpointError) -> (value: PickleValue, end: Int) {
        guard bytes.count - offset <= PickleLimits.maxPickleBytes else {
            throw .limitExceeded("pickle size", limit: PickleLimits.maxPickleBytes)
        }
        var reader = Unpickler(bytes: bytes, position: offset)
        let value = try reader.run()
        return (value, reader.position)
    }

    /// Unpickles a whole byte array.
    public static func load(_ data: [UInt8]) throws(CheckpointError) -> PickleValue {
        let result: Result<PickleValue, CheckpointError> = data.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try load(raw).value }
        }
        return try result.get()
    }

    // MARK: - Reading primitives

    mutating func byte() throws(CheckpointError) -> UInt8 {
        guard position < bytes.count else { throw .malformedPickle("unexpected end of data", offset: position) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) throws(CheckpointError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw .malformedPickle("length \(count) runs past the end of data", offset: position)
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func uint(_ size: Int) throws(CheckpointError) -> UInt64 {
        let raw = try take(size)
        var value: UInt64 = 0
        for i in (0..<size).reversed() { value = value << 8 | UInt64(raw[i]) }
        return value
    }

    mutating func length(_ size: Int) throws(CheckpointError) -> Int {
        let value = try uint(size)
        guard value <= UInt64(bytes.count - position) else {
            throw .malformedPickle("length \(value) runs past the end of data", offset: position)
        }
        return Int(value)
    }

    mutating func line() throws(CheckpointError) -> String {
        var end = position
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count, end - position < 4096 else { throw .malformedPickle("unterminated GLOBAL name", offset: position) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }

    mutating func pop() throws(CheckpointError) -> PickleValue {
        guard let value = stack.popLast() else { throw .malformedPickle("stack underflow", offset: position) }
        if let mark = marks.last, stack.count < mark { throw .malformedPickle("pop across a MARK", offset: position) }
        return value
    }

    mutating func push(_ value: PickleValue) throws(CheckpointError) {
        guard stack.count < PickleLimits.maxStackDepth else { throw .limitExceeded("pickle stack depth", limit: PickleLimits.maxStackDepth) }
        stack.append(value)
    }

    mutating func popMark() throws(CheckpointError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw .malformedPickle("no MARK on the stack", offset: position) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int) throws(CheckpointError) {
        guard let top = stack.last else { throw .malformedPickle("memoize on an empty stack", offset: position) }
        guard memo.count < PickleLimits.maxMemoEntries || memo[index] != nil else {
            throw .limitExceeded("pickle memo entries", limit: PickleLimits.maxMemoEntries)
        }
        memo[index] = top
    }

    mutating func fetch(_ index: Int) throws(CheckpointError) {
        guard let value = memo[index] else { throw .malformedPickle("memo key \(index) not set", offset: position) }
        try push(value)
    }

    // MARK: - The loop

    mutating func run() throws(CheckpointError) -> PickleValue {
        while true {
            let start = position
            let opcode = try byte()
            switch opcode {
            case 0x80: // PROTO
                let version = try byte()
                guard version >= 2 && version <= 5 else { throw .unsupportedOpcode(opcode, offset: start) }
            case 0x95: // FRAME
                _ = try uint(8)
            case 0x2E: // STOP
                let value = try pop()
                return value
            case 0x28: // MARK
                guard marks.count < PickleLimits.maxMarkDepth else { throw .limitExceeded("nested MARKs", limit: PickleLimits.maxMarkDepth) }
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop()
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x32: // DUP
                guard let top = stack.last else { throw .malformedPickle("DUP on an empty stack", offset: start) }
                try push(top)
            case 0x4E: try push(.none) // NONE
            case 0x88: try push(.bool(true)) // NEWTRUE
            case 0x89: try push(.bool(false)) // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(bitPattern: UInt32(try uint(4)))))) // BININT
            case 0x4B: try push(.int(Int(try byte()))) // BININT1
            case 0x4D: try push(.int(Int(try uint(2)))) // BININT2
            case 0x8A: // LONG1
                let count = Int(try byte())
                let raw = try take(count)
                guard count <= 8 else { throw .limitExceeded("integer width (bytes)", limit: 8) }
                var value: UInt64 = 0
                for i in (0..<count).reversed() { value = value << 8 | UInt64(raw[i]) }
                if count > 0 && count < 8 && raw[count - 1] & 0x80 != 0 { value |= ~0 << (UInt64(count) * 8) }
                try push(.int(Int(Int64(bitPattern: value))))
            case 0x47: // BINFLOAT (big-endian double)
                try push(.float(Double(bitPattern: try Self.bigEndian(take(8)))))
            case 0x58: try push(.string(try text(length(4)))) // BINUNICODE
            case 0x8C: try push(.string(try text(length(1)))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(length(8)))) // BINUNICODE8
            case 0x54: try push(.string(try latin1(length(4)))) // BINSTRING (py2 str)
            case 0x55: try push(.string(try latin1(length(1)))) // SHORT_BINSTRING
            case 0x42: try push(.bytes(Array(try take(length(4))))) // BINBYTES
            case 0x43: try push(.bytes(Array(try take(length(1))))) // SHORT_BINBYTES
            case 0x8E: try push(.bytes(Array(try take(length(8))))) // BINBYTES8
            case 0x29: try push(.tuple([])) // EMPTY_TUPLE
            case 0x74: try push(try tuple(try popMark(), at: start)) // TUPLE
            case 0x85: try push(try tuple([try pop()], at: start)) // TUPLE1
            case 0x86: // TUPLE2
                let b = try pop(), a = try pop()
                try push(try tuple([a, b], at: start))
            case 0x87: // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                try push(try tuple([a, b, c], at: start))
            case 0x5D: try push(.list(PickleList())) // EMPTY_LIST
            case 0x61: // APPEND
                let value = try pop()
                let target = try list(at: start)
                target.depth = try nested(target.depth, [value], at: start)
                target.items.append(value)
            case 0x65: // APPENDS
                let values = try popMark()
                let target = try list(at: start)
                target.depth = try nested(target.depth, values, at: start)
                target.items.append(contentsOf: values)
            case 0x7D: try push(.dict(PickleDict())) // EMPTY_DICT
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                let target = try dict(at: start)
                target.depth = try nested(target.depth, [key, value], at: start)
                target.set(key, value)
            case 0x75: // SETITEMS
                let values = try popMark()
                guard values.count % 2 == 0 else { throw .malformedPickle("SETITEMS with an odd item count", offset: start) }
                let target = try dict(at: start)
                target.depth = try nested(target.depth, values, at: start)
                for i in stride(from: 0, to: values.count, by: 2) { target.set(values[i], values[i + 1]) }
            case 0x71: try memoize(Int(try byte())) // BINPUT
            case 0x72: try memoize(Int(try uint(4))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try fetch(Int(try byte())) // BINGET
            case 0x6A: try fetch(Int(try uint(4))) // LONG_BINGET
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                try push(try Self.allowGlobal(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let moduleName = module.string, let nameName = name.string else {
                    throw .malformedPickle("STACK_GLOBAL needs two strings", offset: start)
                }
                try push(try Self.allowGlobal(module: moduleName, name: nameName))
            case 0x52: // REDUCE
                let arguments = try pop(), callable = try pop()
                guard case .tuple(let args) = arguments else { throw .malformedPickle("REDUCE arguments are not a tuple", offset: start) }
                try push(try Self.call(callable, args))
            case 0x62: // BUILD
                let state = try pop()
                guard let target = stack.last else { throw .malformedPickle("BUILD on an empty stack", offset: start) }
                try Self.build(target, state)
            case 0x51: // BINPERSID
                try push(try Self.persistentLoad(try pop()))
            default:
                throw .unsupportedOpcode(opcode, offset: start)
            }
        }
    }

    /// The depth of a container holding `children`, refused past the limit.
    func nested(_ current: Int, _ children: [PickleValue], at offset: Int) throws(CheckpointError) -> Int {
        var depth = current
        for child in children { depth = max(depth, child.depth + 1) }
        guard depth <= PickleLimits.maxNestingDepth else { throw .limitExceeded("nesting depth", limit: PickleLimits.maxNestingDepth) }
        return depth
    }

    func tuple(_ items: [PickleValue], at offset: Int) throws(CheckpointError) -> PickleValue {
        _ = try nested(1, items, at: offset)
        return .tuple(items)
    }

    mutating func list(at offset: Int) throws(CheckpointError) -> PickleList {
        guard case .list(let list)? = stack.last else { throw .malformedPickle("APPEND target is not a list", offset: offset) }
        return list
    }

    mutating func dict(at offset: Int) throws(CheckpointError) -> PickleDict {
        guard case .dict(let dict)? = stack.last else { throw .malformedPickle("SETITEM target is not a dict", offset: offset) }
        return dict
    }

    mutating func text(_ count: Int) throws(CheckpointError) -> String {
        let start = position
        let raw = try take(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .malformedPickle("invalid UTF-8 string", offset: start) }
        return text
    }

    mutating func latin1(_ count: Int) throws(CheckpointError) -> String {
        String(try take(count).map { Character(Unicode.Scalar($0)) })
    }

    static func bigEndian(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for byte in raw { value = value << 8 | UInt64(byte) }
        return value
    }

    // MARK: - The allowlist

    static let numpyModules: Set<String> = ["numpy.core.multiarray", "numpy._core.multiarray"]

    static func allowGlobal(module: String, name: String) throws(CheckpointError) -> PickleValue {
        let allowed: Bool
        switch module {
        case "collections": allowed = name == "OrderedDict"
        case "torch._utils": allowed = name == "_rebuild_tensor_v2" || name == "_rebuild_parameter"
        case "torch": allowed = ScalarType(storageClass: name) != nil
        case "numpy": allowed = name == "ndarray" || name == "dtype"
        case "_codecs": allowed = name == "encode"
        default: allowed = numpyModules.contains(module) && (name == "_reconstruct" || name == "scalar")
        }
        guard allowed else { throw .disallowedGlobal(module: module, name: name) }
        return .global(module: numpyModules.contains(module) ? "numpy.core.multiarray" : module, name: name)
    }

    static func call(_ callable: PickleValue, _ args: [PickleValue]) throws(CheckpointError) -> PickleValue {
        guard case .global(let module, let name) = callable else { throw .badCall("REDUCE on a \(callable.kind), not a global") }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            guard args.isEmpty else { throw .badCall("OrderedDict with arguments") }
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"):
            guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].int,
                  let shape = args[2].items?.map(\.int), let stride = args[3].items?.map(\.int),
                  !shape.contains(nil), !stride.contains(nil) else {
                throw .badCall("_rebuild_tensor_v2(storage, offset, size, stride, ...) with other arguments")
            }
            let reference = TensorReference(storage: storage, offset: offset, shape: shape.map { $0! }, stride: stride.map { $0! })
            try validate(reference)
            return .tensor(reference)
        case ("torch._utils", "_rebuild_parameter"):
            guard let first = args.first, case .tensor = first else { throw .badCall("_rebuild_parameter without a tensor") }
            return first
        case ("numpy.core.multiarray", "_reconstruct"):
            guard args.count == 3, case .global("numpy", "ndarray") = args[0] else { throw .badCall("_reconstruct of something other than numpy.ndarray") }
            return .numpy(NumpyObject(isArray: true))
        case ("numpy", "dtype"):
            guard let code = args.first?.string else { throw .badCall("numpy.dtype without a type code") }
            guard let type = ScalarType(numpy: code) else { throw .badCall("numpy dtype '\(code)' is not supported") }
            let object = NumpyObject(isArray: false)
            object.dtype = type
            return .numpy(object)
        case ("numpy.core.multiarray", "scalar"):
            guard args.count == 2, case .numpy(let dtype) = args[0], let type = dtype.dtype else { throw .badCall("numpy scalar without a dtype") }
            let raw: [UInt8]
            switch args[1] {
            case .bytes(let data): raw = data
            case .string(let text): raw = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            default: throw .badCall("numpy scalar without its bytes")
            }
            guard raw.count == type.byteCount else { throw .badCall("numpy scalar of \(raw.count) bytes for \(type)") }
            let values = NumericDecoding.doubles(raw, type: type, count: 1, bigEndian: dtype.bigEndian)
            return type.isFloatingPoint ? .float(values[0]) : .int(Int(values[0]))
        case ("_codecs", "encode"):
            guard args.count == 2, let text = args[0].string, let encoding = args[1].string,
                  encoding == "latin1" || encoding == "latin-1" else {
                throw .badCall("_codecs.encode other than (str, 'latin1')")
            }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw .badCall("_codecs.encode: character outside latin1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        default:
            throw .badCall("\(module).\(name) cannot be called")
        }
    }

    static func build(_ target: PickleValue, _ state: PickleValue) throws(CheckpointError) {
        switch target {
        case .dict(let dict):
            dict.attributes = state
        case .numpy(let object) where !object.isArray:
            // dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
            if let items = state.items, items.count >= 2, let order = items[1].string { object.bigEndian = order == ">" }
        case .numpy(let object):
            // ndarray state: (version, shape, dtype, is_fortran, rawdata)
            guard let items = state.items, items.count == 5, let shapeItems = items[1].items,
                  case .numpy(let dtype) = items[2], let type = dtype.dtype, let fortran = items[3].int else {
                throw .badCall("ndarray state is not (version, shape, dtype, fortran, data)")
            }
            var shape: [Int] = []
            var count = 1
            for item in shapeItems {
                guard let dimension = item.int, dimension >= 0 else { throw .badCall("ndarray shape must be non-negative integers") }
                shape.append(dimension)
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw .sizeOverflow(tensor: "ndarray") }
                count = product
            }
            let data: [UInt8]
            switch items[4] {
            case .bytes(let raw): data = raw
            case .string(let text): data = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            default: throw .badCall("ndarray data is a \(items[4].kind), not bytes (object arrays are refused)")
            }
            let (needed, overflow) = count.multipliedReportingOverflow(by: type.byteCount)
            guard !overflow else { throw .sizeOverflow(tensor: "ndarray") }
            guard needed == data.count else { throw .storageOutOfBounds(key: "ndarray", needed: needed, available: data.count) }
            object.array = NumpyArray(shape: shape, type: type, fortranOrder: fortran != 0, bigEndian: dtype.bigEndian, data: data)
        default:
            throw .badCall("BUILD on a \(target.kind)")
        }
    }

    static func persistentLoad(_ pid: PickleValue) throws(CheckpointError) -> PickleValue {
        guard case .tuple(let items) = pid, items.count >= 5, items[0].string == "storage",
              case .global("torch", let className) = items[1], let type = ScalarType(storageClass: className),
              let key = items[2].string, let count = items[4].int, count >= 0 else {
            throw .badCall("persistent id is not ('storage', <storage class>, key, location, numel)")
        }
        return .storage(StorageReference(key: key, type: type, count: count))
    }

    /// Checks that every element a tensor view can touch lies inside its storage (checked arithmetic).
    static func validate(_ tensor: TensorReference) throws(CheckpointError) {
        let name = "in storage '\(tensor.storage.key)'"
        guard tensor.shape.count == tensor.stride.count, tensor.shape.count <= PickleLimits.maxTensorRank else {
            throw .badCall("tensor size and stride disagree \(name)")
        }
        guard tensor.offset >= 0, tensor.shape.allSatisfy({ $0 >= 0 }), tensor.stride.allSatisfy({ $0 >= 0 }) else {
            throw .badCall("negative tensor offset, size or stride \(name)")
        }
        if tensor.shape.contains(0) { return }
        var last = tensor.offset
        for (size, stride) in zip(tensor.shape, tensor.stride) {
            let (span, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(span)
            guard !overflow1, !overflow2 else { throw .sizeOverflow(tensor: tensor.storage.key) }
            last = sum
        }
        guard last < tensor.storage.count else {
            throw .storageOutOfBounds(key: tensor.storage.key, needed: last + 1, available: tensor.storage.count)
        }
    }
}
