import Testing
@testable import ZooSTGCN

/// The block layouts the 1.x backbone configurations lay out, as MMAction2's `STGCN.__init__` and `AAGCN.__init__` do.
@Suite struct GCNBackboneTests {
    static func layout(_ blocks: [BlockShape]) -> [String] {
        blocks.map { "\($0.inputChannels)>\($0.outputChannels)/\($0.stride) \($0.residual)" }
    }

    /// Defaults (in 3, base 64, 10 stages, inflate and down at 5 and 8): a first block without residual, then
    /// 64, 64, 64, 128 (stride 2), 128, 128, 256 (stride 2), 256, 256; a 1x1 residual where channels or stride change.
    static let defaultLayout = ["3>64/1 none", "64>64/1 identity", "64>64/1 identity", "64>64/1 identity", "64>128/2 convolution",
                                "128>128/1 identity", "128>128/1 identity", "128>256/2 convolution", "256>256/1 identity", "256>256/1 identity"]

    @Test func defaultBackbonesLayOutMMAction2sTenBlocks() {
        #expect(Self.layout(STGCN1xConfiguration().blocks) == Self.defaultLayout)
        #expect(Self.layout(AAGCNConfiguration().blocks) == Self.defaultLayout)
        #expect(STGCN1xConfiguration().outputChannels == 256 && AAGCNConfiguration().outputChannels == 256)
    }

    @Test func stgcnInflatesByItsChannelRatioFromTheBaseAndAAGCNDoubles() {
        // int(4 * 3**1 + 1e-4) = 12, int(4 * 3**2 + 1e-4) = 36; in_channels == base_channels: no first block.
        let stgcn = STGCN1xConfiguration(inChannels: 4, baseChannels: 4, channelRatio: 3, numStages: 3, inflateStages: [2, 3], downStages: [3])
        #expect(Self.layout(stgcn.blocks) == ["4>12/1 convolution", "12>36/2 convolution"])
        let aagcn = AAGCNConfiguration(inChannels: 4, baseChannels: 4, numStages: 3, inflateStages: [2, 3], downStages: [3])
        #expect(Self.layout(aagcn.blocks) == ["4>8/1 convolution", "8>16/2 convolution"])
        #expect(Self.layout(STGCN1xConfiguration(numStages: 1).blocks) == ["3>64/1 none"])
    }
}
