// A pickle reader that executes nothing.
//
// Format: Python pickle protocols 2-5 (protocol 0/1 text opcodes are refused). Accepted opcodes:
//   PROTO FRAME STOP MARK POP POP_MARK DUP
//   NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1 BINFLOAT
//   BINUNICODE SHORT_BINUNICODE BINUNICODE8 BINSTRING SHORT_BINSTRING BINBYTES SHORT_BINBYTES BINBYTES8
//   EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST APPEND APPENDS EMPTY_DICT SETITEM SETITEMS
//   BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET GLOBAL STACK_GLOBAL REDUCE BUILD BINPERSID NEWOBJ
// The GLOBAL allowlist and what each allowed call builds: Unpickler+Allowlist.swift.
//
// Globals outside the allowlist are refused (``UnknownGlobals/refuse``, the default), or, for a `.pth` file
// (``UnknownGlobals/keepOpaque``, what TorchCheckpoint uses), kept as inert ``OpaqueObject`` values: the name is
// recorded and nothing is imported or called. REDUCE or NEWOBJ on one gives another opaque value (its arguments are
// dropped), BUILD on one drops the state, and an allowed call refuses an opaque argument. MMAction2 1.x
// checkpoints need this: their `message_hub` holds mmengine `HistoryBuffer` objects (and `getattr` results).
//
// No cycles: a list or dict is frozen the moment it becomes a child of another container (APPEND(S), SETITEM(S),
// BUILD state, a tuple, REDUCE arguments), and a frozen container is never changed again. Python's pickler only
// changes a container after using it when the object graph is recursive, so this refuses exactly the
// self-referencing pickles (`l = []; l.append(l)`), which no checkpoint or annotation file holds. It also keeps
// every recorded nesting depth exact: a frozen child cannot grow deeper behind its parent's back. Any value that
// keeps other pickle values (a container, or an object that keeps its REDUCE arguments or BUILD state) must take them
// through `adopt` or `tuple` (Unpickler+Stack.swift), which apply the rule; numpy objects copy what they need.

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
    /// Estimated bytes the reader may allocate: values, container slots, memo entries, string and byte payloads.
    /// The budget is ``allocationAllowance`` plus ``allocationPerInputByte`` per pickle byte, at most this.
    public static let maxAllocatedBytes = 8 << 30
    public static let allocationAllowance = 256 << 20
    /// A real pickle spends at least 2 bytes per value, and a value costs about 48 bytes here (slot + box).
    public static let allocationPerInputByte = 32
    /// The estimated cost of one value on the stack, in a container or in the memo.
    static let slotBytes = 32

    /// The allocation budget for a pickle of `count` bytes.
    public static func allocationBudget(forPickleBytes count: Int) -> Int {
        let (scaled, overflow) = count.multipliedReportingOverflow(by: allocationPerInputByte)
        return overflow ? maxAllocatedBytes : min(maxAllocatedBytes, allocationAllowance + scaled)
    }
}

public struct Unpickler {
    /// A value on the stack or in the memo. A tuple's nesting depth is fixed when it is made and kept here, so no
    /// depth is ever recomputed by walking a tree (memo sharing makes trees exponentially large DAGs).
    struct Slot {
        var value: PickleValue
        var tupleDepth = 0

        var depth: Int {
            switch value {
            case .list(let list): list.depth
            case .dict(let dict): dict.depth
            default: tupleDepth
            }
        }
    }

    let bytes: UnsafeRawBufferPointer
    var position = 0
    var stack: [Slot] = []
    var marks: [Int] = []
    var memo: [Int: Slot] = [:]
    /// Estimated bytes allocated so far, and the most this pickle may allocate.
    var allocated = 0
    let allocationBudget: Int
    let unknownGlobals: UnknownGlobals

    init(bytes: UnsafeRawBufferPointer, position: Int, allocationBudget: Int? = nil, unknownGlobals: UnknownGlobals = .refuse) {
        self.bytes = bytes
        self.position = position
        self.unknownGlobals = unknownGlobals
        self.allocationBudget = allocationBudget ?? PickleLimits.allocationBudget(forPickleBytes: bytes.count - position)
    }

    /// Unpickles one pickle from `bytes`, starting at `offset`. Returns the value and the offset after STOP.
    /// - Parameter unknownGlobals: refuse a global outside the allowlist (default), or keep it as an inert opaque value.
    public static func load(_ bytes: UnsafeRawBufferPointer, offset: Int = 0,
                            unknownGlobals: UnknownGlobals = .refuse) throws(CheckpointError) -> (value: PickleValue, end: Int) {
        guard offset >= 0, offset <= bytes.count else { throw .malformedPickle("pickle starts past the end of data", offset: offset) }
        guard bytes.count - offset <= PickleLimits.maxPickleBytes else {
            throw .limitExceeded("pickle size", limit: PickleLimits.maxPickleBytes)
        }
        var reader = Unpickler(bytes: bytes, position: offset, unknownGlobals: unknownGlobals)
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
                return try pop().value
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
            case 0x8A: try push(.int(try long1())) // LONG1
            case 0x47: // BINFLOAT (big-endian double)
                try push(.float(Double(bitPattern: try Self.bigEndian(take(8)))))
            case 0x58: try push(.string(try text(length(4)))) // BINUNICODE
            case 0x8C: try push(.string(try text(length(1)))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(length(8)))) // BINUNICODE8
            case 0x54: try push(.string(try latin1(length(4)))) // BINSTRING (py2 str)
            case 0x55: try push(.string(try latin1(length(1)))) // SHORT_BINSTRING
            case 0x42: try push(.bytes(try payload(length(4)))) // BINBYTES
            case 0x43: try push(.bytes(try payload(length(1)))) // SHORT_BINBYTES
            case 0x8E: try push(.bytes(try payload(length(8)))) // BINBYTES8
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
                try adopt([value], into: target, at: start)
                target.items.append(value.value)
            case 0x65: // APPENDS
                let values = try popMark()
                let target = try list(at: start)
                try adopt(values, into: target, at: start)
                target.items.append(contentsOf: values.map(\.value))
            case 0x7D: try push(.dict(PickleDict())) // EMPTY_DICT
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                let target = try dict(at: start)
                try adopt([key, value], into: target, at: start)
                target.set(key.value, value.value)
            case 0x75: // SETITEMS
                let values = try popMark()
                guard values.count % 2 == 0 else { throw .malformedPickle("SETITEMS with an odd item count", offset: start) }
                let target = try dict(at: start)
                try adopt(values, into: target, at: start)
                for i in stride(from: 0, to: values.count, by: 2) { target.set(values[i].value, values[i + 1].value) }
            case 0x71: try memoize(Int(try byte())) // BINPUT
            case 0x72: try memoize(Int(try uint(4))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try fetch(Int(try byte())) // BINGET
            case 0x6A: try fetch(Int(try uint(4))) // LONG_BINGET
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                try push(try resolveGlobal(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                let name = try pop().value, module = try pop().value
                guard let moduleName = module.string, let nameName = name.string else {
                    throw .malformedPickle("STACK_GLOBAL needs two strings", offset: start)
                }
                try push(try resolveGlobal(module: moduleName, name: nameName))
            case 0x52: // REDUCE
                let arguments = try pop().value, callable = try pop().value
                guard case .tuple(let args) = arguments else { throw .malformedPickle("REDUCE arguments are not a tuple", offset: start) }
                if case .opaque(let object) = callable {
                    try push(.opaque(object.instance))  // nothing is called; the arguments are dropped
                } else {
                    try push(try Self.call(callable, args))
                }
            case 0x81: // NEWOBJ: cls.__new__(cls, *args), only ever for an opaque class
                let arguments = try pop().value, callable = try pop().value
                guard case .tuple = arguments else { throw .malformedPickle("NEWOBJ arguments are not a tuple", offset: start) }
                guard case .opaque(let object) = callable else { throw .badCall("NEWOBJ on \(callable.kind)") }
                try push(.opaque(object.instance))
            case 0x62: // BUILD
                let state = try pop()
                guard let target = stack.last?.value else { throw .malformedPickle("BUILD on an empty stack", offset: start) }
                if case .dict(let dict) = target {
                    try adopt([state], into: dict, at: start)
                    dict.attributes = state.value
                } else {
                    try Self.build(target, state.value)
                }
            case 0x51: // BINPERSID
                try push(try Self.persistentLoad(try pop().value))
            default:
                throw .unsupportedOpcode(opcode, offset: start)
            }
        }
    }

    /// An allowed global, or (keepOpaque) an opaque name for any other; refused otherwise.
    func resolveGlobal(module: String, name: String) throws(CheckpointError) -> PickleValue {
        do {
            return try Self.allowGlobal(module: module, name: name)
        } catch {
            guard unknownGlobals == .keepOpaque, case .disallowedGlobal = error else { throw error }
            return .opaque(OpaqueObject(module: module, name: name, isInstance: false))
        }
    }

    mutating func long1() throws(CheckpointError) -> Int {
        let count = Int(try byte())
        let raw = try take(count)
        guard count <= 8 else { throw .limitExceeded("integer width (bytes)", limit: 8) }
        var value: UInt64 = 0
        for i in (0..<count).reversed() { value = value << 8 | UInt64(raw[i]) }
        if count > 0 && count < 8 && raw[count - 1] & 0x80 != 0 { value |= ~0 << (UInt64(count) * 8) }
        return Int(Int64(bitPattern: value))
    }

    static func bigEndian(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for byte in raw { value = value << 8 | UInt64(byte) }
        return value
    }
}
