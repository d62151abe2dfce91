// A two-entry archive in the ZIP64 layout (what torch.save writes past 4 GiB or 65535 entries), so the fuzzer
// starts from the ZIP64 end record, its locator and the extended-information extra field (tag 1), which no fixture
// is large enough to need. Layout as in ZooTorch/ZipArchive.swift.
enum Zip64Seed {
    static func archive() -> [UInt8] {
        let files: [(name: String, data: [UInt8])] = [("archive/data.pkl", [0x80, 0x02, 0x7D, 0x2E]), ("archive/version", Array("3\n".utf8))]
        var out: [UInt8] = []
        var offsets: [Int] = []
        for file in files {
            offsets.append(out.count)
            out += le(0x0403_4B50, 4) + le(45, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
            out += le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(file.name.utf8.count, 2) + le(20, 2)
            out += Array(file.name.utf8) + le(1, 2) + le(16, 2) + le(file.data.count, 8) + le(file.data.count, 8)
            out += file.data
        }
        let directoryStart = out.count
        for (file, offset) in zip(files, offsets) {
            out += le(0x0201_4B50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
            out += le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(file.name.utf8.count, 2) + le(28, 2) + le(0, 2)
            out += le(0, 2) + le(0, 2) + le(0, 4) + le(0xFFFF_FFFF, 4) + Array(file.name.utf8)
            out += le(1, 2) + le(24, 2) + le(file.data.count, 8) + le(file.data.count, 8) + le(offset, 8)
        }
        let directorySize = out.count - directoryStart
        let record = out.count
        out += le(0x0606_4B50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4)
        out += le(files.count, 8) + le(files.count, 8) + le(directorySize, 8) + le(directoryStart, 8)
        out += le(0x0706_4B50, 4) + le(0, 4) + le(record, 8) + le(1, 4)
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(0xFFFF, 2) + le(0xFFFF, 2)
        out += le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
        return out
    }

    static func le(_ value: Int, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
