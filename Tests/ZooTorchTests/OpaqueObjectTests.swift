import Foundation
import Testing
import ZooTestSupport
@testable import ZooTorch

/// MMAction2 1.x checkpoints (mmengine) hold `message_hub` with `HistoryBuffer` objects: a `.pth` read keeps
/// classes outside the allowlist as inert opaque values and refuses them only where the weights depend on them.
@Suite struct OpaqueObjectTests {
    static func zip(_ pickle: [UInt8]) -> [UInt8] {
        var zip = ZipWriter()
        zip.add("archive/data.pkl", pickle)
        zip.add("archive/version", Array("3\n".utf8))
        return zip.finish()
    }

    static let marker = HostilePickleTests.marker
    static func unicode(_ text: String) -> [UInt8] { HostilePickleTests.unicode(text) }

    /// `posix.system('touch <marker>')` as a REDUCE.
    static let systemCall: [UInt8] = HostilePickleTests.bytes(["c", "posix\nsystem\n", Self.unicode("touch \(marker)"), 0x85, "R"])

    // MARK: - The real 1.x files

    struct Expected: Sendable, CustomTestStringConvertible {
        var directory: String
        var keys: Int
        /// (key, shape, first values as float32 literals, written down from the file with Python by hand).
        var tensors: [(String, [Int], [Float])]
        var testDescription: String { directory }
    }

    static let expected: [Expected] = [
        Expected(directory: "stgcn_j_ntu60_2d", keys: 181, tensors: [
            ("backbone.gcn.0.gcn.PA", [3, 17, 17], [0.9880712032318115, 0.945327639579773, 1.0077924728393555]),
            ("backbone.data_bn.running_mean", [51], [0.24962031841278076, -0.10895243287086487, 0.5604514479637146]),
            ("cls_head.fc.bias", [60], [0.11741361767053604, -0.12005020678043365, -0.04661724716424942]),
        ]),
        Expected(directory: "stgcnpp_j_ntu60_3d", keys: 692, tensors: [
            ("backbone.gcn.0.gcn.A", [3, 25, 25], [1, 0, 0]),
            ("backbone.gcn.9.tcn.branches.3.3.conv.weight", [42, 42, 3, 1], [0.05183955281972885, -0.15327906608581543, -0.16105973720550537]),
            ("cls_head.fc.weight", [60, 256], [0.057441748678684235, 0.06824171543121338, 0.02721865475177765]),
        ]),
        Expected(directory: "agcn_b_ntu60_2d", keys: 363, tensors: [
            ("backbone.gcn.0.gcn.alpha", [1], [-0.26199108362197876]),
            ("backbone.A", [3, 17, 17], [1, 0, 0]),
            ("backbone.gcn.3.gcn.conv_a.1.bias", [16], [0.029505034908652306, -0.01574988290667534, -0.02324954979121685]),
        ]),
    ]

    @Test(arguments: expected) func readsTheMMAction1xCheckpoint(_ expected: Expected) throws {
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(expected.directory)/checkpoint.pth"))
        let state = try file.stateDict()
        #expect(state.count == expected.keys)
        let byName = Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) })
        for (name, shape, values) in expected.tensors {
            let tensor = try #require(byName[name], "\(name)")
            #expect(tensor.shape == shape, "\(name)")
            #expect(Array(tensor.floats.prefix(values.count)) == values, "\(name)")
        }
        #expect(byName["backbone.data_bn.num_batches_tracked"]?.integers == [1000])
        #expect(file.meta?["epoch"]?.int == 16)
        #expect(file.meta?["iter"]?.int == 1200)
        #expect(Set(file.root.dictionary?.keys ?? []) == ["meta", "state_dict", "message_hub", "optimizer", "param_schedulers"])
    }

    @Test(arguments: expected) func messageHubObjectsAreOpaqueAndInert(_ expected: Expected) throws {
        let file = try TorchCheckpoint.load(contentsOf: Fixtures.url("mmaction1x/\(expected.directory)/checkpoint.pth"))
        let hub = try #require(file.root.dictionary?["message_hub"]?.dictionary)
        let scalars = try #require(hub["log_scalars"]?.dictionary)
        #expect(scalars.keys == ["train/loss", "train/lr"])
        for key in scalars.keys {
            // The HistoryBuffer is a name and nothing else: its state (numpy arrays, getattr results) was dropped.
            #expect(scalars[key]?.opaqueObject == OpaqueObject(module: "mmengine.logging.history_buffer", name: "HistoryBuffer", isInstance: true))
        }
        // Reading the same pickle strictly refuses the class at its GLOBAL opcode.
        let data = try Data(contentsOf: Fixtures.url("mmaction1x/\(expected.directory)/checkpoint.pth"))
        let archive = try [UInt8](data).withUnsafeBytes { try ZipArchive($0) }
        let entry = try #require(archive.entries.first { $0.name.hasSuffix("data.pkl") })
        let pickle = [UInt8](data[entry.offset..<entry.offset + entry.size])
        #expect(throws: CheckpointError.disallowedGlobal(module: "mmengine.logging.history_buffer", name: "HistoryBuffer")) {
            try Unpickler.load(pickle)
        }
    }

    // MARK: - Hostile files

    @Test func aCheckpointThatIsACallIsStillRefused() {
        let pickle = HostilePickleTests.bytes([0x80, 2, Self.systemCall, "."])
        #expect(throws: CheckpointError.disallowedGlobal(module: "posix", name: "system")) { try TorchCheckpoint.load(bytes: Self.zip(pickle)) }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "nothing ran")
    }

    @Test func aCallBesideTheWeightsStaysInert() throws {
        // {'state_dict': {}, 'message_hub': posix.system('touch ...')}
        let pickle = HostilePickleTests.bytes([0x80, 2, "}", Self.unicode("state_dict"), "}", "s", Self.unicode("message_hub"), Self.systemCall, "s", "."])
        let file = try TorchCheckpoint.load(bytes: Self.zip(pickle))
        #expect(try file.stateDict().isEmpty)
        #expect(file.root.dictionary?["message_hub"]?.opaqueObject == OpaqueObject(module: "posix", name: "system", isInstance: true))
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "nothing ran")
    }

    @Test func aWeightThatIsAnOpaqueObjectIsRefusedByName() throws {
        // {'state_dict': {'w': posix.system('touch ...')}}
        let pickle = HostilePickleTests.bytes([0x80, 2, "}", Self.unicode("state_dict"), "}", Self.unicode("w"), Self.systemCall, "s", "s", "."])
        let file = try TorchCheckpoint.load(bytes: Self.zip(pickle))
        #expect(throws: CheckpointError.opaqueObject(module: "posix", name: "system", usedBy: "state_dict['w']")) { try file.stateDict() }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "nothing ran")
    }

    @Test func anAllowedCallRefusesAnOpaqueArgument() throws {
        // {'state_dict': {'w': torch._utils._rebuild_tensor_v2(posix.system(...), 0, (1,), (1,))}}
        let rebuild = HostilePickleTests.bytes(["c", "torch._utils\n_rebuild_tensor_v2\n", "(", Self.systemCall, "K", 0, "K", 1, 0x85, "K", 1, 0x85, "t", "R"])
        let pickle = HostilePickleTests.bytes([0x80, 2, "}", Self.unicode("state_dict"), "}", Self.unicode("w"), rebuild, "s", "s", "."])
        #expect(throws: CheckpointError.opaqueObject(module: "posix", name: "system", usedBy: "torch._utils._rebuild_tensor_v2")) {
            try TorchCheckpoint.load(bytes: Self.zip(pickle))
        }
    }

    @Test func newObjectOfAnAllowedClassIsRefused() {
        // collections.OrderedDict.__new__(OrderedDict): allowed globals are only ever called through REDUCE.
        let pickle = HostilePickleTests.bytes([0x80, 2, "c", "collections\nOrderedDict\n", ")", 0x81, "."])
        #expect(throws: CheckpointError.badCall("NEWOBJ on collections.OrderedDict")) { try Unpickler.load(pickle) }
        #expect(throws: CheckpointError.badCall("NEWOBJ on collections.OrderedDict")) { try pickle.withUnsafeBytes { raw in try Unpickler.load(raw, unknownGlobals: .keepOpaque) } }
    }
}
