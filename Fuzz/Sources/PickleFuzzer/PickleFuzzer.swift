// Feeds arbitrary bytes to the pickle reader and to the torch checkpoint loader (zip and legacy containers).
// Every input must end in a value or a CheckpointError: no crash, no leak, no hang, no unbounded allocation.
// Seeds: every fixture pickle and every fixture checkpoint's data.pkl, plus small zip and legacy checkpoints.
import Foundation
import FuzzSupport
import ZooTorch

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let value = try Unpickler.load(bytes)
        _ = value.dictionary?.keys
    } catch {
        _ = "\(error)"
    }
    load(bytes)
    // Also as the data.pkl of a zip container, with one storage.
    var zip = ZipWriter()
    zip.add("archive/data.pkl", bytes)
    zip.add("archive/data/0", [UInt8](repeating: 0, count: 64))
    load(zip.finish())
    return 0
}

func load(_ bytes: [UInt8]) {
    do {
        let checkpoint = try TorchCheckpoint.load(bytes: bytes)
        _ = checkpoint.meta?.keys
        _ = try checkpoint.stateDict()
    } catch {
        _ = "\(error)"
    }
}

@_cdecl("PickleFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let dictionary = FuzzDriver.packageFile("Dictionaries/pickle.dict").map { ["-dict=\($0)"] } ?? []
    return FuzzDriver.main(argc, argv, extraDefaults: dictionary + ["-max_len=\(FuzzDriver.maxInputBytes)"], writeSeeds: writeSeeds, fuzz)
}

func writeSeeds(fixtures: URL, corpus: URL) throws {
    for url in try Seeds.files(under: fixtures, endingIn: [".pkl"]) {
        try Seeds.write(Seeds.read(url), named: Seeds.name(of: url, under: fixtures), into: corpus)
    }
    // Each fixture checkpoint's pickles: data.pkl from a zip, the four pickles before the storages from a legacy file.
    for url in try Seeds.files(under: fixtures, endingIn: [".pth"]) {
        let bytes = try Seeds.read(url)
        let pickles: [UInt8] = try bytes.withUnsafeBytes { raw in
            guard raw.starts(with: [0x50, 0x4B]) else {
                var end = 15  // after the magic number
                for _ in 0..<4 { end = try Unpickler.load(raw, offset: end).end }
                return Array(raw[..<end])
            }
            guard let entry = try ZipArchive(raw).entries.first(where: { $0.name.hasSuffix("/data.pkl") }) else {
                throw SeedError("\(url.path) has no data.pkl")
            }
            return Array(raw[entry.offset..<entry.offset + entry.size])
        }
        try Seeds.write(pickles, named: Seeds.name(of: url, under: fixtures) + "-pickles", into: corpus)
    }
    try Seeds.write(SmallCheckpoint.zip(), named: "small-zip.pth", into: corpus)
    try Seeds.write(SmallCheckpoint.legacy(), named: "small-legacy.pth", into: corpus)
    for (name, bytes) in hostile { try Seeds.write(bytes, named: "hostile-\(name)", into: corpus) }
}

/// The shapes of attack ZooTorchTests builds (HostilePickleTests, PickleCycleTests), as starting points.
let hostile: [(String, [UInt8])] = [
    ("os-system", [0x80, 2] + Array("cposix\nsystem\n".utf8) + [0x8C, 4] + Array("true".utf8) + [0x85, 0x52, 0x2E]),
    ("nested-lists", [0x80, 2] + [UInt8](repeating: 0x5D, count: 300) + [UInt8](repeating: 0x61, count: 299) + [0x2E]),
    ("nested-tuples", [0x80, 2, 0x29] + [UInt8](repeating: 0x85, count: 300) + [0x2E]),
    ("shared-tuple-dag", [0x80, 2, 0x29] + Array([[UInt8]](repeating: [0x32, 0x86], count: 60).joined()) + [0x2E]),
    ("cycle-through-memo", [0x80, 2, 0x7D, 0x71, 0, 0x4B, 1, 0x68, 0, 0x73, 0x2E]),
    ("huge-lengths", [0x80, 4, 0x8E, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x58, 0xF0, 0xFF, 0xFF, 0xFF, 0x2E]),
    ("many-marks", [0x80, 2] + [UInt8](repeating: 0x28, count: 1100) + [0x2E]),
]
