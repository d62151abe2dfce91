import Foundation
import Testing
import ZooTestSupport
@testable import ZooTorch

/// Hostile files modelled on safetensors' `attacks/`: each must be refused with a specific error and run nothing.
@Suite struct HostilePickleTests {
    static let marker = FileManager.default.temporaryDirectory.appending(path: "skelzoo-pwned-\(getpid())").path

    static func bytes(_ parts: [Any]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            if let byte = part as? UInt8 { out.append(byte) }
            else if let int = part as? Int { out.append(UInt8(int)) }
            else if let text = part as? String { out.append(contentsOf: Array(text.utf8)) }
            else if let array = part as? [UInt8] { out.append(contentsOf: array) }
        }
        return out
    }

    static func unicode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) } + utf8
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var data: [UInt8]
        var expected: CheckpointError
        var testDescription: String { id }
    }

    static let cases: [Case] = [
        .init(id: "os.system via GLOBAL + REDUCE (__reduce__ trick)",
              data: bytes([0x80, 2, "c", "posix\nsystem\n", unicode("touch \(marker)"), 0x85, "R", "."]),
              expected: .disallowedGlobal(module: "posix", name: "system")),
        .init(id: "builtins.eval",
              data: bytes([0x80, 2, "c", "builtins\neval\n", unicode("__import__('os').system('touch \(marker)')"), 0x85, "R", "."]),
              expected: .disallowedGlobal(module: "builtins", name: "eval")),
        .init(id: "subprocess.Popen via STACK_GLOBAL",
              data: bytes([0x80, 4, 0x8C, 10, "subprocess", 0x8C, 5, "Popen", 0x93, "."]),
              expected: .disallowedGlobal(module: "subprocess", name: "Popen")),
        .init(id: "nested REDUCE: OrderedDict called with a reduced argument",
              data: bytes([0x80, 2, "c", "collections\nOrderedDict\n", "c", "collections\nOrderedDict\n", ")", "R", 0x85, "R", "."]),
              expected: .badCall("OrderedDict with arguments")),
        .init(id: "REDUCE on a string",
              data: bytes([0x80, 2, unicode("os.system"), ")", "R", "."]),
              expected: .badCall("REDUCE on a str, not a global")),
        .init(id: "torch.load's own gadget: torch._utils._rebuild_device_tensor_from_numpy is not allowed",
              data: bytes([0x80, 2, "c", "torch._utils\n_rebuild_device_tensor_from_numpy\n", ")", "R", "."]),
              expected: .disallowedGlobal(module: "torch._utils", name: "_rebuild_device_tensor_from_numpy")),
        .init(id: "huge string length",
              data: bytes([0x80, 2, 0x58, 0xF0, 0xFF, 0xFF, 0xFF, "abc", "."]),
              expected: .malformedPickle("length 4294967280 runs past the end of data", offset: 7)),
        .init(id: "huge bytes8 length",
              data: bytes([0x80, 4, 0x8E, 0, 0, 0, 0, 0, 0, 0, 0x40, "."]),
              expected: .malformedPickle("length 4611686018427387904 runs past the end of data", offset: 11)),
        .init(id: "memo get of an unset key",
              data: bytes([0x80, 2, "h", 7, "."]),
              expected: .malformedPickle("memo key 7 not set", offset: 4)),
        .init(id: "protocol 0 text opcodes",
              data: bytes(["I", "1\n", "."]),
              expected: .unsupportedOpcode(0x49, offset: 0)),
        .init(id: "truncated pickle",
              data: bytes([0x80, 2, "}", "("]),
              expected: .malformedPickle("unexpected end of data", offset: 4)),
    ]

    @Test(arguments: cases) func rejectsHostilePickle(_ hostile: Case) throws {
        #expect(throws: hostile.expected) { try Unpickler.load(hostile.data) }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "nothing ran")
    }

    @Test func deeplyNestedListsAreBoundedNotACrash() throws {
        // 100 000 nested lists: EMPTY_LIST x N, then APPEND x (N-1).
        let depth = 100_000
        let data = [0x80, 2] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        #expect(throws: CheckpointError.limitExceeded("nesting depth", limit: PickleLimits.maxNestingDepth)) {
            try Unpickler.load(data)
        }
        // Nested tuples too (TUPLE1 over and over).
        let tuples = [0x80, 2, 0x29] + [UInt8](repeating: 0x85, count: depth) + [0x2E]
        #expect(throws: CheckpointError.limitExceeded("nesting depth", limit: PickleLimits.maxNestingDepth)) {
            try Unpickler.load(tuples)
        }
    }

    @Test func aListThatContainsItselfIsRefused() throws {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP -> l = []; l.append(l)
        #expect(throws: CheckpointError.cycle(offset: 7)) { try Unpickler.load([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]) }
    }

    // MARK: - Containers

    static func checkpoint(storageCount: Int, storageBytes: Int, offset: Int = 0, shape: [Int] = [4]) -> [UInt8] {
        var pickle = PickleWriter()
        pickle.write(.dict([("state_dict", .orderedDict([("w", .tensor(key: "0", type: .float32, shape: shape))]))]))
        pickle.finish()
        var bytes = pickle.bytes
        // Patch the tensor's declared numel and offset by rewriting with a hand-made pickle where needed.
        if storageCount != shape.reduce(1, *) || offset != 0 {
            bytes = HostilePickleTests.tensorPickle(numel: storageCount, offset: offset, shape: shape)
        }
        var zip = ZipWriter()
        zip.add("archive/data.pkl", bytes)
        zip.add("archive/data/0", [UInt8](repeating: 0, count: storageBytes))
        zip.add("archive/version", Array("3\n".utf8))
        return zip.finish()
    }

    static func tensorPickle(numel: Int, offset: Int, shape: [Int], strides: [Int]? = nil) -> [UInt8] {
        func int(_ value: Int) -> [UInt8] { [0x4A] + withUnsafeBytes(of: Int32(value).littleEndian) { Array($0) } }
        var out: [UInt8] = [0x80, 2, 0x7D, 0x28] + unicode("state_dict")
        out += [0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]
        out += [0x28] + unicode("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu") + int(numel) + [0x74, 0x51]
        out += int(offset) + [0x28] + shape.flatMap(int) + [0x74] + [0x28] + (strides ?? contiguousStrides(shape)).flatMap(int) + [0x74] + [0x89, 0x4E, 0x74, 0x52]
        out += [0x75, 0x2E]
        return out
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides: [Int] = [], running = 1
        for size in shape.reversed() { strides.insert(min(running, Int(Int32.max)), at: 0); running = running.multipliedReportingOverflow(by: size).partialValue }
        return strides
    }

    @Test func aWellFormedCheckpointRoundTrips() throws {
        let file = try TorchCheckpoint.load(bytes: Self.checkpoint(storageCount: 4, storageBytes: 16))
        #expect(try file.stateDict().map(\.tensor.shape) == [[4]])
    }

    @Test func storageDeclaredLargerThanItsEntryIsRefused() {
        #expect(throws: CheckpointError.storageOutOfBounds(key: "0", needed: 4000, available: 16)) {
            try TorchCheckpoint.load(bytes: Self.checkpoint(storageCount: 1000, storageBytes: 16, shape: [4]))
        }
    }

    @Test func storageOffsetPastTheEndIsRefused() {
        #expect(throws: CheckpointError.storageOutOfBounds(key: "0", needed: 1_000_004, available: 4)) {
            try TorchCheckpoint.load(bytes: Self.checkpoint(storageCount: 4, storageBytes: 16, offset: 1_000_000, shape: [4]))
        }
    }

    @Test func overflowingShapeIsRefused() {
        #expect(throws: CheckpointError.sizeOverflow(tensor: "0")) {
            try Unpickler.load(Self.tensorPickle(numel: 4, offset: 0, shape: [Int(Int32.max), Int(Int32.max), Int(Int32.max), Int(Int32.max)]))
        }
    }

    @Test func truncatedCheckpointIsRefused() throws {
        let full = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        let half = [UInt8](full.prefix(full.count / 2))
        #expect(throws: CheckpointError.badArchive("no end of central directory record (truncated file?)")) {
            try TorchCheckpoint.load(bytes: half)
        }
        let legacy = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint_legacy.pth"))
        #expect(throws: CheckpointError.self) { try TorchCheckpoint.load(bytes: [UInt8](legacy.prefix(legacy.count - 100))) }
    }

    @Test func randomBytesAreNotACheckpoint() {
        #expect(throws: CheckpointError.notACheckpoint("neither a torch zip archive nor a legacy torch pickle")) {
            try TorchCheckpoint.load(bytes: Array("hello, I am not a checkpoint".utf8))
        }
    }

    @Test func compressedZipEntriesAreRefused() {
        var archive = Self.checkpoint(storageCount: 4, storageBytes: 16)
        // Set the compression method of the first central directory record to 8 (deflate).
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let index = (0..<archive.count - 4).first { Array(archive[$0..<$0 + 4]) == signature }!
        archive[index + 10] = 8
        #expect(throws: CheckpointError.badArchive("entry 'archive/data.pkl' is compressed (method 8); torch archives are stored")) {
            try TorchCheckpoint.load(bytes: archive)
        }
    }

    @Test func everyFixtureCheckpointLoadsAndNamesItsMeta() throws {
        for path in ["v1_coco60/checkpoint.pth", "v1_coco60/checkpoint_legacy.pth", "v2_ntu60/checkpoint.pth", "v3_ntu120/checkpoint.pth"] {
            let file = try TorchCheckpoint.load(contentsOf: Fixtures.url(path))
            #expect(file.meta?["epoch"]?.int == 80, "\(path)")
            #expect(file.meta?["iter"]?.int == 37440, "\(path)")
            #expect(try file.stateDict().count >= 172, "\(path)")
        }
    }
}
