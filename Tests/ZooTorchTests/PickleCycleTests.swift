import Foundation
import Testing
import ZooTestSupport
@testable import ZooTorch

/// Every way a pickle can make a container reachable from itself is refused (before the fix, `]]2a` leaked: the
/// cycle was never freed), and the costs a few bytes could once demand are bounded.
@Suite struct PickleCycleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var data: [UInt8]
        var expected: CheckpointError
        var testDescription: String { id }
    }

    static let changed = "a container is changed after it was placed in another one (a self-referencing object)"

    static let cases: [Case] = [
        .init(id: "DUP + APPEND: the 4-byte leak from the issue", data: Array("]]2a".utf8), expected: .cycle(offset: 3)),
        .init(id: "memo GET + APPEND", data: [0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E], expected: .cycle(offset: 7)),
        .init(id: "memo GET + APPENDS", data: [0x5D, 0x71, 0, 0x28, 0x68, 0, 0x65, 0x2E], expected: .cycle(offset: 6)),
        .init(id: "DUP + SETITEM", data: Array("}22s".utf8), expected: .cycle(offset: 3)),
        .init(id: "memo GET + SETITEM as the value", data: [0x7D, 0x71, 0, 0x4B, 1, 0x68, 0, 0x73, 0x2E], expected: .cycle(offset: 7)),
        .init(id: "memo GET + SETITEM as the key", data: [0x7D, 0x71, 0, 0x68, 0, 0x4E, 0x73, 0x2E], expected: .cycle(offset: 6)),
        .init(id: "memo GET + SETITEMS", data: [0x7D, 0x71, 0, 0x28, 0x4B, 1, 0x68, 0, 0x75, 0x2E], expected: .cycle(offset: 8)),
        .init(id: "DUP + BUILD: a dict as its own state", data: [0x7D, 0x32, 0x62, 0x2E], expected: .cycle(offset: 2)),
        .init(id: "through a tuple: l.append((l,))", data: [0x5D, 0x71, 0, 0x68, 0, 0x85, 0x61, 0x2E],
              expected: .malformedPickle(changed, offset: 6)),
        .init(id: "through a second list: a = []; b = [a]; a.append(b)", data: [0x5D, 0x71, 0, 0x5D, 0x68, 0, 0x61, 0x61, 0x2E],
              expected: .malformedPickle(changed, offset: 7)),
        .init(id: "through a MARK/TUPLE tuple (as REDUCE arguments are built)",
              data: [0x7D, 0x71, 0, 0x28, 0x68, 0, 0x74, 0x30, 0x4B, 1, 0x4E, 0x73, 0x2E],
              expected: .malformedPickle(changed, offset: 11)),
        .init(id: "a frozen list deepened behind its parent's back (nesting-depth bypass)",
              data: [0x5D, 0x71, 0, 0x5D, 0x71, 1, 0x5D, 0x71, 2, 0x30, 0x30, 0x30, 0x68, 0, 0x68, 1, 0x61, 0x30, 0x68, 1, 0x68, 2, 0x61, 0x2E],
              expected: .malformedPickle(changed, offset: 22)),
    ]

    @Test(arguments: cases) func refusesSelfReference(_ hostile: Case) {
        #expect(throws: hostile.expected) { try Unpickler.load(hostile.data) }
    }

    @Test func sharingWithoutACycleStillLoads() throws {
        // l = []; d = {'a': l, 'b': l}: one list reached twice is a DAG, not a cycle.
        let value = try Unpickler.load([0x7D, 0x8C, 1, 0x61, 0x5D, 0x71, 0, 0x73, 0x8C, 1, 0x62, 0x68, 0, 0x73, 0x2E])
        #expect(value.dictionary?.keys == ["a", "b"])
        #expect(value.dictionary?["b"]?.items?.isEmpty == true)
    }

    @Test func sharedTuplesAreWalkedOnceNotExponentially() throws {
        // t0 = (); t(k+1) = (tk, tk) 80 times: a tree of 2^80 nodes in 162 bytes. Depth and the storage walk used to
        // recurse over the whole tree (a hang); both now take time linear in the pickle.
        let pickle = [0x80, 2, 0x29] + Array([[UInt8]](repeating: [0x32, 0x86], count: 80).joined()) + [0x2E]
        var zip = ZipWriter()
        zip.add("archive/data.pkl", pickle)
        let checkpoint = try TorchCheckpoint.load(bytes: zip.finish())
        #expect(checkpoint.root.items?.count == 2)
    }

    @Test func aViewLargerThanItsStorageIsRefused() {
        // shape (65536, 65536) with stride (0, 0) over one element: 2^32 elements to gather from 4 bytes.
        #expect(throws: CheckpointError.badCall("tensor view of 4294967296 elements over 1 in storage '0' (overlapping strides are refused)")) {
            try Unpickler.load(Self.tensorPickle(numel: 1, shape: [65536, 65536], stride: [0, 0]))
        }
    }

    @Test func allocationBudgetScalesWithThePickleAndIsCapped() {
        #expect(PickleLimits.allocationBudget(forPickleBytes: 1 << 20) == PickleLimits.allocationAllowance + (32 << 20))
        #expect(PickleLimits.allocationBudget(forPickleBytes: Int.max) == PickleLimits.maxAllocatedBytes)
    }

    @Test func allocationPastTheBudgetIsRefused() {
        // NONE then 100 DUPs: 101 slots of 32 estimated bytes each do not fit in 1000 bytes.
        let data: [UInt8] = [0x4E] + [UInt8](repeating: 0x32, count: 100) + [0x2E]
        let result: Result<PickleValue, CheckpointError> = data.withUnsafeBytes { raw in
            var reader = Unpickler(bytes: raw, position: 0, allocationBudget: 1000)
            return Result { () throws(CheckpointError) in try reader.run() }
        }
        #expect(throws: CheckpointError.limitExceeded("estimated allocation (bytes)", limit: 1000)) { try result.get() }
    }

    // MARK: - Helpers

    static func tensorPickle(numel: Int, shape: [Int], stride: [Int]) -> [UInt8] {
        func int(_ value: Int) -> [UInt8] { [0x4A] + withUnsafeBytes(of: Int32(value).littleEndian) { Array($0) } }
        func unicode(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }
        var out: [UInt8] = [0x80, 2] + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]
        out += [0x28] + unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu") + int(numel) + [0x74, 0x51]
        out += int(0) + [0x28] + shape.flatMap(int) + [0x74, 0x28] + stride.flatMap(int) + [0x74, 0x89, 0x4E, 0x74, 0x52, 0x2E]
        return out
    }
}
