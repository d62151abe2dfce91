// A checkpoint small enough to mutate quickly that still reaches every branch of loading: meta, a float and an
// int64 tensor, in both of torch.save's containers (see ZooTorch/TorchCheckpoint.swift for the formats).
import ZooTorch

public enum SmallCheckpoint {
    public static var object: PickleOutput { .dict([
        ("meta", .dict([("epoch", .int(80)), ("iter", .int(37440))])),
        ("state_dict", .orderedDict([
            ("backbone.w", .tensor(key: "0", type: .float32, shape: [2, 2])),
            ("backbone.num_batches_tracked", .tensor(key: "1", type: .int64, shape: [])),
        ])),
    ]) }

    public static var storages: [(key: String, bytes: [UInt8])] { [
        ("0", [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40]),  // 1, 2, 3, 4
        ("1", [0xE8, 0x03, 0, 0, 0, 0, 0, 0]),                                         // 1000
    ] }

    /// The zip container, as torch.save writes it.
    public static func zip() -> [UInt8] { TorchSaver.archive(object, storages: storages) }

    /// The legacy container: magic, protocol 1001, sys_info, the object, the storage keys, then each storage as an
    /// 8-byte little-endian element count and its bytes.
    public static func legacy() -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        let systemInfo: PickleOutput = .dict([("protocol_version", .int(1001)), ("little_endian", .bool(true)),
                                              ("type_sizes", .dict([("short", .int(2)), ("int", .int(4)), ("long", .int(4))]))])
        for part in [PickleOutput.int(1001), systemInfo, object, .list(storages.map { .string($0.key) })] {
            var pickle = PickleWriter()
            pickle.write(part)
            pickle.finish()
            out += pickle.bytes
        }
        for (key, bytes) in storages {
            let count = UInt64(bytes.count / (key == "0" ? 4 : 8))
            out += withUnsafeBytes(of: count.littleEndian) { Array($0) } + bytes
        }
        return out
    }
}
