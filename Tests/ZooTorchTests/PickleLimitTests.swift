import Testing
@testable import ZooTorch

/// The unpickler's named resource limits (issue 11 §5): each is reached and refused with its
/// ``CheckpointError/limitExceeded(_:limit:)``, never a crash or an unbounded allocation. The stack and memo limits are
/// ten million, so those tests lower the reader's limits and reach them through the same checks with a few bytes; the
/// MARK limit is reached at its real value.
@Suite struct PickleLimitTests {
    /// Runs `bytes` through a reader with `limits`.
    static func load(_ bytes: [UInt8], limits: Unpickler.Limits) throws(CheckpointError) -> PickleValue {
        let result: Result<PickleValue, CheckpointError> = bytes.withUnsafeBytes { raw in
            var reader = Unpickler(bytes: raw, position: 0)
            reader.limits = limits
            return Result { () throws(CheckpointError) in try reader.run() }
        }
        return try result.get()
    }

    @Test func theReadersLimitsAreTheNamedConstants() {
        let limits = Unpickler.Limits()
        #expect(limits.stackDepth == PickleLimits.maxStackDepth && limits.stackDepth == 10_000_000)
        #expect(limits.memoEntries == PickleLimits.maxMemoEntries && limits.memoEntries == 10_000_000)
        #expect(limits.markDepth == PickleLimits.maxMarkDepth && limits.markDepth == 1000)
    }

    @Test func nestedMarksPastTheLimitAreRefused() {
        let marks = [UInt8](repeating: 0x28, count: PickleLimits.maxMarkDepth)
        // 1000 MARKs are allowed (then the pickle ends, unfinished); the 1001st is refused.
        #expect(throws: CheckpointError.malformedPickle("unexpected end of data", offset: 2 + marks.count)) {
            try Unpickler.load([0x80, 2] + marks)
        }
        #expect(throws: CheckpointError.limitExceeded("nested MARKs", limit: PickleLimits.maxMarkDepth)) {
            try Unpickler.load([0x80, 2] + marks + [0x28, 0x4E, 0x2E])
        }
        var small = Unpickler.Limits()
        small.markDepth = 3
        #expect(throws: CheckpointError.limitExceeded("nested MARKs", limit: 3)) { try Self.load([0x80, 2, 0x28, 0x28, 0x28, 0x28, 0x2E], limits: small) }
    }

    @Test func aStackDeeperThanTheLimitIsRefused() throws {
        var limits = Unpickler.Limits()
        limits.stackDepth = 8
        // NONE then DUP: 8 values fit, the 9th push is refused.
        let fits: [UInt8] = [0x80, 2, 0x4E] + [UInt8](repeating: 0x32, count: 7) + [0x2E]
        #expect(try Self.load(fits, limits: limits).kind == "None")
        #expect(throws: CheckpointError.limitExceeded("pickle stack depth", limit: 8)) {
            try Self.load([0x80, 2, 0x4E] + [UInt8](repeating: 0x32, count: 8) + [0x2E], limits: limits)
        }
        // Pushes from any opcode count: eight NONEs and a ninth.
        #expect(throws: CheckpointError.limitExceeded("pickle stack depth", limit: 8)) {
            try Self.load([0x80, 2] + [UInt8](repeating: 0x4E, count: 9) + [0x2E], limits: limits)
        }
    }

    @Test func aMemoLargerThanTheLimitIsRefused() throws {
        var limits = Unpickler.Limits()
        limits.memoEntries = 4
        // NONE, then MEMOIZE (protocol 4) n times: each stores the top under the next key.
        func pickle(_ count: Int) -> [UInt8] { [0x80, 4, 0x4E] + [UInt8](repeating: 0x94, count: count) + [0x2E] }
        #expect(try Self.load(pickle(4), limits: limits).kind == "None")
        #expect(throws: CheckpointError.limitExceeded("pickle memo entries", limit: 4)) { try Self.load(pickle(5), limits: limits) }
        // BINPUT to keys already set replaces them and does not grow the memo.
        let rewrites: [UInt8] = [0x80, 2, 0x4E] + (0..<20).flatMap { [0x71, UInt8($0 % 4)] } + [0x2E]
        #expect(try Self.load(rewrites, limits: limits).kind == "None")
        #expect(throws: CheckpointError.limitExceeded("pickle memo entries", limit: 4)) {
            try Self.load([0x80, 2, 0x4E] + (0..<5).flatMap { [0x71, UInt8($0)] } + [0x2E], limits: limits)
        }
    }

    // MARK: - Storages

    /// A zip whose second entry's directory record points at the first entry's local header: two names, one set of
    /// bytes (the "overlapping files" zip bomb when the shared entry is large).
    @Test func overlappingZipEntriesAreRefused() {
        var zip = ZipWriter()
        zip.add("archive/data.pkl", [0x80, 2, 0x7D, 0x2E])
        zip.add("archive/data/0", [UInt8](repeating: 0, count: 64))
        var bytes = zip.finish()
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let records = (0..<bytes.count - 4).filter { Array(bytes[$0..<$0 + 4]) == signature }
        #expect(records.count == 2)
        for b in 0..<4 { bytes[records[1] + 42 + b] = bytes[records[0] + 42 + b] }   // local header offset
        #expect(throws: CheckpointError.badArchive("entries 'archive/data.pkl' and 'archive/data/0' overlap in the file")) {
            try TorchCheckpoint.load(bytes: bytes)
        }
    }

    /// A tensor view with more elements than its storage can only come from overlapping strides (`expand`): refused,
    /// so a few bytes cannot demand a huge gather.
    @Test func aViewLargerThanItsStorageIsRefused() {
        let pickle = HostilePickleTests.tensorPickle(numel: 1, offset: 0, shape: [1000], strides: [0])
        #expect(throws: CheckpointError.badCall("tensor view of 1000 elements over 1 in storage '0' (overlapping strides are refused)")) {
            try Unpickler.load(pickle)
        }
    }

    /// Overlapping strides inside the storage (a sliding window) read as torch's `as_strided` does: bounded by the
    /// storage, each element gathered from its offset.
    @Test func overlappingStridesWithinTheStorageGatherLikeAsStrided() throws {
        let pickle = HostilePickleTests.tensorPickle(numel: 4, offset: 0, shape: [2, 2], strides: [1, 1])
        var zip = ZipWriter()
        zip.add("archive/data.pkl", pickle)
        zip.add("archive/data/0", NumericEncoding.littleEndian([Float(10), 11, 12, 13]))
        zip.add("archive/version", Array("3\n".utf8))
        let file = try TorchCheckpoint.load(bytes: zip.finish())
        guard case .tensor(let reference)? = file.root.dictionary?["state_dict"] else { Issue.record("no tensor"); return }
        let tensor = try file.tensor(reference)
        #expect(tensor.shape == [2, 2] && tensor.floats == [10, 11, 11, 12])
    }
}
