// The unpickler's reading primitives, its stack and memo, and the container rules that keep a pickle from
// building a cycle, nesting past the limit or allocating past its budget (see Unpickler.swift).

/// A list or dict while the reader builds it.
protocol PickleContainer: AnyObject {
    var depth: Int { get set }
    var frozen: Bool { get set }
}

extension PickleList: PickleContainer {}
extension PickleDict: PickleContainer {}

extension Unpickler {
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
        while end < bytes.count && end - position < 4096 && bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count, bytes[end] == 0x0A else { throw .malformedPickle("unterminated GLOBAL name", offset: position) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }

    mutating func text(_ count: Int) throws(CheckpointError) -> String {
        let start = position
        let raw = try take(count)
        try charge(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .malformedPickle("invalid UTF-8 string", offset: start) }
        return text
    }

    mutating func latin1(_ count: Int) throws(CheckpointError) -> String {
        let raw = try take(count)
        try charge(2 * count)  // bytes >= 0x80 take two in UTF-8
        return String(raw.map { Character(Unicode.Scalar($0)) })
    }

    mutating func payload(_ count: Int) throws(CheckpointError) -> [UInt8] {
        let raw = try take(count)
        try charge(count)
        return Array(raw)
    }

    // MARK: - Stack and memo

    mutating func pop() throws(CheckpointError) -> Slot {
        guard let slot = stack.popLast() else { throw .malformedPickle("stack underflow", offset: position) }
        if let mark = marks.last, stack.count < mark { throw .malformedPickle("pop across a MARK", offset: position) }
        return slot
    }

    mutating func push(_ value: PickleValue) throws(CheckpointError) {
        try push(Slot(value: value))
    }

    mutating func push(_ slot: Slot) throws(CheckpointError) {
        guard stack.count < limits.stackDepth else { throw .limitExceeded("pickle stack depth", limit: limits.stackDepth) }
        try charge(PickleLimits.slotBytes)
        stack.append(slot)
    }

    mutating func popMark() throws(CheckpointError) -> [Slot] {
        guard let mark = marks.popLast() else { throw .malformedPickle("no MARK on the stack", offset: position) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int) throws(CheckpointError) {
        guard let top = stack.last else { throw .malformedPickle("memoize on an empty stack", offset: position) }
        if memo[index] == nil {
            guard memo.count < limits.memoEntries else {
                throw .limitExceeded("pickle memo entries", limit: limits.memoEntries)
            }
            try charge(2 * PickleLimits.slotBytes)
        }
        memo[index] = top
    }

    mutating func fetch(_ index: Int) throws(CheckpointError) {
        guard let slot = memo[index] else { throw .malformedPickle("memo key \(index) not set", offset: position) }
        try push(slot)
    }

    /// Counts `count` more estimated bytes against the pickle's allocation budget.
    mutating func charge(_ count: Int) throws(CheckpointError) {
        allocated += count
        guard allocated <= allocationBudget else { throw .limitExceeded("estimated allocation (bytes)", limit: allocationBudget) }
    }

    // MARK: - Containers

    /// A tuple of `items`: each item container is frozen, and the tuple's depth is recorded in its slot.
    mutating func tuple(_ items: [Slot], at offset: Int) throws(CheckpointError) -> Slot {
        var depth = 1
        for item in items {
            try Self.freeze(item, owner: nil, at: offset)
            depth = max(depth, item.depth + 1)
        }
        guard depth <= PickleLimits.maxNestingDepth else { throw .limitExceeded("nesting depth", limit: PickleLimits.maxNestingDepth) }
        return Slot(value: .tuple(items.map(\.value)), tupleDepth: depth)
    }

    /// Makes `children` part of `owner`, the list or dict being built at the top of the stack: refuses to change
    /// a frozen owner or to put the owner inside itself, freezes each child container and updates the owner's depth.
    mutating func adopt(_ children: [Slot], into owner: some PickleContainer, at offset: Int) throws(CheckpointError) {
        guard !owner.frozen else {
            throw .malformedPickle("a container is changed after it was placed in another one (a self-referencing object)", offset: offset)
        }
        try charge(children.count * PickleLimits.slotBytes)
        var depth = owner.depth
        for child in children {
            try Self.freeze(child, owner: owner, at: offset)
            depth = max(depth, child.depth + 1)
        }
        guard depth <= PickleLimits.maxNestingDepth else { throw .limitExceeded("nesting depth", limit: PickleLimits.maxNestingDepth) }
        owner.depth = depth
    }

    /// Freezes a child container; a child that is its own future parent would close a cycle.
    static func freeze(_ child: Slot, owner: AnyObject?, at offset: Int) throws(CheckpointError) {
        let container: (any PickleContainer)?
        switch child.value {
        case .list(let list): container = list
        case .dict(let dict): container = dict
        default: container = nil
        }
        guard let container else { return }
        guard container !== owner else { throw .cycle(offset: offset) }
        container.frozen = true
    }

    mutating func list(at offset: Int) throws(CheckpointError) -> PickleList {
        guard case .list(let list)? = stack.last?.value else { throw .malformedPickle("APPEND target is not a list", offset: offset) }
        return list
    }

    mutating func dict(at offset: Int) throws(CheckpointError) -> PickleDict {
        guard case .dict(let dict)? = stack.last?.value else { throw .malformedPickle("SETITEM target is not a dict", offset: offset) }
        return dict
    }
}
