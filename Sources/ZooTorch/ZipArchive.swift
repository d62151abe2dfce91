// A read-only view of a zip archive as `torch.save` writes it (PyTorch >= 1.6, via miniz):
//
//  1. local file headers `PK\x03\x04` (30 bytes + name + extra) each followed by the entry's bytes, stored
//     uncompressed (method 0), aligned to 64 bytes by padding in the extra field;
//  2. the central directory, one `PK\x01\x02` record (46 bytes + name + extra + comment) per entry;
//  3. for archives past 4 GiB or 65535 entries, a ZIP64 end record `PK\x06\x06` and its locator `PK\x06\x07`;
//  4. the end of central directory record `PK\x05\x06` (22 bytes + comment).
// Entry names: `<prefix>/data.pkl`, `<prefix>/data/<storage key>`, `<prefix>/version`, `<prefix>/byteorder`.
// Compressed entries are refused (torch never writes them), so no entry can expand beyond the file.

public struct ZipArchive {
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// Offset of the entry's bytes in the file.
        public var offset: Int
        public var size: Int
    }

    public static let maxEntries = 1_000_000
    /// The fixed part of a central directory record; `entryCount` records need at least this many bytes each.
    static let directoryRecordBytes = 46

    public let entries: [Entry]

    /// Parses the central directory of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        let count = bytes.count
        func u16(_ at: Int) throws(CheckpointError) -> Int {
            guard at >= 0, at <= count - 2 else { throw .badArchive("record at byte \(at) runs past the end") }
            return Int(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
        }
        func u32(_ at: Int) throws(CheckpointError) -> Int {
            guard at >= 0, at <= count - 4 else { throw .badArchive("record at byte \(at) runs past the end") }
            return Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
        }
        func u64(_ at: Int) throws(CheckpointError) -> Int {
            guard at >= 0, at <= count - 8 else { throw .badArchive("record at byte \(at) runs past the end") }
            let value = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian
            guard value <= UInt64(Int.max) else { throw .badArchive("64-bit size out of range") }
            return Int(value)
        }
        // 4. End of central directory: scan back over a possible comment (at most 65535 bytes).
        guard count >= 22 else { throw .badArchive("file too short for a zip archive") }
        var end = -1
        var at = count - 22
        while at >= max(0, count - 22 - 65_535) {
            if try u32(at) == 0x0605_4B50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else { throw .badArchive("no end of central directory record (truncated file?)") }
        var entryCount = try u16(end + 10)
        var directorySize = try u32(end + 12)
        var directoryOffset = try u32(end + 16)
        // 3. ZIP64 end record, located by the locator just before the end record.
        if end >= 20, try u32(end - 20) == 0x0706_4B50 {
            let record = try u64(end - 20 + 8)
            guard try u32(record) == 0x0606_4B50 else { throw .badArchive("bad ZIP64 end of central directory record") }
            entryCount = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard entryCount <= Self.maxEntries else { throw .limitExceeded("zip entries", limit: Self.maxEntries) }
        guard directoryOffset <= count, directorySize <= count - directoryOffset else {
            throw .badArchive("central directory lies outside the file")
        }
        guard entryCount <= directorySize / Self.directoryRecordBytes else {
            throw .badArchive("a central directory of \(directorySize) bytes cannot hold \(entryCount) entries")
        }
        // 2. Central directory records.
        var entries: [Entry] = []
        /// Each entry's bytes in the file: its local header through its data.
        var spans: [(name: String, start: Int, end: Int)] = []
        var names: Set<String> = []
        entries.reserveCapacity(entryCount)
        var cursor = directoryOffset
        for _ in 0..<entryCount {
            guard try u32(cursor) == 0x0201_4B50 else { throw .badArchive("bad central directory record at byte \(cursor)") }
            let method = try u16(cursor + 10)
            var compressed = try u32(cursor + 20)
            var size = try u32(cursor + 24)
            let nameLength = try u16(cursor + 28), extraLength = try u16(cursor + 30), commentLength = try u16(cursor + 32)
            var localOffset = try u32(cursor + 42)
            guard cursor + 46 + nameLength <= count else { throw .badArchive("entry name runs past the end") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[cursor + 46..<cursor + 46 + nameLength]), as: UTF8.self)
            // ZIP64 extended information (tag 1) holds the 64-bit values whose 32-bit fields are 0xFFFFFFFF.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = try u16(extra), length = try u16(extra + 2)
                if tag == 1 {
                    // Each 64-bit value must lie inside this extra field.
                    var field = extra + 4
                    let fieldEnd = min(extraEnd, extra + 4 + length)
                    func next() throws(CheckpointError) -> Int {
                        guard field <= fieldEnd - 8 else { throw .badArchive("ZIP64 field of '\(name)' runs past its extra field") }
                        defer { field += 8 }
                        return try u64(field)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard method == 0 else { throw .badArchive("entry '\(name)' is compressed (method \(method)); torch archives are stored") }
            guard compressed == size else { throw .badArchive("entry '\(name)' has different stored and real sizes") }
            // 1. Local header: the data follows its name and extra field.
            guard try u32(localOffset) == 0x0403_4B50 else { throw .badArchive("bad local header for '\(name)'") }
            let dataOffset = localOffset + 30 + (try u16(localOffset + 26)) + (try u16(localOffset + 28))
            guard dataOffset <= count, size <= count - dataOffset else {
                throw .storageOutOfBounds(key: name, needed: size, available: max(0, count - dataOffset))
            }
            // Two entries of one name would let two readers see two different checkpoints in the same file.
            guard names.insert(name).inserted else { throw .badArchive("duplicate entry '\(name)'") }
            entries.append(Entry(name: name, offset: dataOffset, size: size))
            spans.append((name, localOffset, dataOffset + size))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        // Entries may not share bytes (torch writes them one after another). Overlapping entries are the "overlapping
        // files" zip bomb: many directory records over one large entry would decode its bytes once per record.
        spans.sort { ($0.start, $0.name) < ($1.start, $1.name) }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw .badArchive("entries '\(previous.name)' and '\(next.name)' overlap in the file")
        }
        self.entries = entries
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
