// Feeds arbitrary bytes to the zip container reader on its own: end of central directory (with a comment), the
// ZIP64 locator and end record, central directory records (names, extra fields, ZIP64 sizes and offsets, duplicates)
// and local headers. Every entry the reader returns must lie inside the file: the callback reads its first and last
// byte, so AddressSanitizer reports any range that does not.
// Seeds: the fixture checkpoints' entries (each cut to 16 bytes), a small checkpoint and a hand-made ZIP64 archive.
import Foundation
import FuzzSupport
import ZooTorch

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    bytes.withUnsafeBytes { raw in
        do {
            let archive = try ZipArchive(raw)
            var names: Set<String> = []
            for entry in archive.entries {
                precondition(names.insert(entry.name).inserted, "duplicate entry '\(entry.name)' accepted")
                precondition(entry.offset >= 0 && entry.size >= 0 && entry.offset <= raw.count - entry.size, "entry outside the file")
                if entry.size > 0 { _ = raw[entry.offset] &+ raw[entry.offset + entry.size - 1] }
                precondition(archive.entry(named: entry.name)?.offset == entry.offset)
            }
        } catch {
            _ = "\(error)"
        }
    }
    do {
        _ = try TorchCheckpoint.load(bytes: bytes).stateDict()
    } catch {
        _ = "\(error)"
    }
    return 0
}

@_cdecl("ZipFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.main(argc, argv, extraDefaults: ["-max_len=\(FuzzDriver.maxInputBytes)"], writeSeeds: writeSeeds, fuzz)
}

func writeSeeds(fixtures: URL, corpus: URL) throws {
    for url in try Seeds.files(under: fixtures, endingIn: [".pth"]) {
        let bytes = try Seeds.read(url)
        guard bytes.starts(with: [0x50, 0x4B]) else { continue }  // the legacy container is not a zip
        // The same entries, names and order; every entry cut to its first 16 bytes (the pickles are PickleFuzzer's).
        let zip: [UInt8] = try bytes.withUnsafeBytes { raw in
            var writer = ZipWriter()
            for entry in try ZipArchive(raw).entries {
                writer.add(entry.name, Array(raw[entry.offset..<entry.offset + min(entry.size, 16)]))
            }
            return writer.finish()
        }
        try Seeds.write(zip, named: Seeds.name(of: url, under: fixtures), into: corpus)
    }
    try Seeds.write(Zip64Seed.archive(), named: "zip64.zip", into: corpus)
    try Seeds.write(SmallCheckpoint.zip(), named: "small-zip.pth", into: corpus)
}
