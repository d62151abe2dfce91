import Testing
@testable import ZooTorch

/// The zip container refuses what would make two readers disagree or cost more than the file.
@Suite struct ZipArchiveTests {
    @Test func duplicateEntryNamesAreRefused() {
        // Two data.pkl entries: torch would read one, another reader the other.
        var zip = ZipWriter()
        zip.add("archive/data.pkl", [0x80, 2, 0x7D, 0x2E])
        zip.add("archive/data.pkl", [0x80, 2, 0x5D, 0x2E])
        #expect(throws: CheckpointError.badArchive("duplicate entry 'archive/data.pkl'")) { try TorchCheckpoint.load(bytes: zip.finish()) }
    }

    @Test func moreEntriesThanTheDirectoryHoldsAreRefused() {
        // The end record claims 65535 entries in a directory of one record: the reader used to reserve room for all.
        var zip = ZipWriter()
        zip.add("archive/data.pkl", [0x80, 2, 0x7D, 0x2E])
        var bytes = zip.finish()
        let end = bytes.count - 22
        bytes[end + 8] = 0xFF; bytes[end + 9] = 0xFF; bytes[end + 10] = 0xFF; bytes[end + 11] = 0xFF
        let directorySize = Int(bytes[end + 12]) | Int(bytes[end + 13]) << 8
        #expect(throws: CheckpointError.badArchive("a central directory of \(directorySize) bytes cannot hold 65535 entries")) {
            try TorchCheckpoint.load(bytes: bytes)
        }
    }
}
