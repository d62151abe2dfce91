import Testing
@testable import ZooTorch

/// Dict keys keep Python's semantics through the key index: a repeated str or int key replaces the value in place.
@Suite struct PickleDictTests {
    static func key(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }

    @Test func aRepeatedKeyReplacesItsValueInPlace() throws {
        // {'a': 1, 'b': 2, 'a': 3, 7: 4, 7: 5, None: 6, None: 7} via one SETITEMS.
        let data: [UInt8] = [0x7D, 0x28] + Self.key("a") + [0x4B, 1] + Self.key("b") + [0x4B, 2] + Self.key("a") + [0x4B, 3]
            + [0x4B, 7, 0x4B, 4, 0x4B, 7, 0x4B, 5, 0x4E, 0x4B, 6, 0x4E, 0x4B, 7, 0x75, 0x2E]
        let dict = try #require(try Unpickler.load(data).dictionary)
        #expect(dict.keys == ["a", "b"])
        #expect(dict["a"]?.int == 3)
        #expect(dict.entries.map(\.value.int) == [3, 2, 5, 6, 7])  // None is not hashed here: both kept
    }

    @Test func aLargeDictLoadsWithEveryKey() throws {
        // 50 000 distinct keys in batches of 1000, as Python's pickler writes them.
        var data: [UInt8] = [0x80, 4, 0x7D]
        for batch in 0..<50 {
            data.append(0x28)
            for i in 0..<1000 { data += Self.key("k\(batch * 1000 + i)") + [0x4B, UInt8(i % 256)] }
            data.append(0x75)
        }
        data.append(0x2E)
        let dict = try #require(try Unpickler.load(data).dictionary)
        #expect(dict.entries.count == 50_000)
        #expect(dict["k49999"]?.int == 999 % 256)
    }
}
