import Testing
import ZooTensor
@testable import ZooSTGCN

/// The exact bits of 1.x training (ST-GCN, ST-GCN++, 2s-AGCN): three SGD steps from a seeded initialisation, pinned.
/// The values were recorded before the 1.x layers were refactored to share their residual, stage loop and data BN
/// code, so a refactor that moves any floating-point operation fails here (portable-1 arithmetic, any ISA).
@Suite struct GCN1xBitsTests {
    /// FNV-1a over the losses' and the final state_dict's bit patterns (Int64 counters by value).
    static func fingerprint(_ losses: [Float], _ model: RecognizerGCN) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            for byte in 0..<8 { hash = (hash ^ ((word >> (8 * UInt64(byte))) & 0xff)) &* 0x0000_0100_0000_01b3 }
        }
        for loss in losses { mix(UInt64(loss.bitPattern)) }
        for entry in model.stateDict() {
            switch entry.values {
            case .floats(let values): for value in values { mix(UInt64(value.bitPattern)) }
            case .int64(let value): mix(UInt64(bitPattern: value))
            }
        }
        return hash
    }

    @Test(arguments: [("stgcn", 0x863e_c3ad_712e_4ad0 as UInt64), ("stgcnpp", 0xe674_6a66_e7a8_8d84), ("aagcn", 0x10ad_4c4c_c082_e7cd)])
    func threeTrainingStepsKeepTheirPinnedBits(_ kind: String, _ expected: UInt64) throws {
        for threads in [1, 2] {
            var model = try GCN1xTrainingTests.recognizer(kind)
            let losses = try GCN1xTrainingTests.train(&model, steps: 3, threads: threads)
            let eval = try model.clipLogits(GradientCheckTests.random([2, 2, 8, 17, 3], seed: 13), threads: threads)
            let hash = Self.fingerprint(losses + eval.storage, model)
            #expect(hash == expected, "\(kind) threads \(threads): 0x\(String(hash, radix: 16))")
        }
    }
}
