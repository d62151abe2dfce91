/// The shape of an ST-GCN model (MMAction2 0.x `STGCN` backbone + `STGCNHead`).
public struct STGCNConfiguration: Sendable, Equatable {
    public var inChannels: Int
    public var layout: SkeletonLayout
    public var strategy: String
    public var maxHop: Int
    public var dilation: Int
    /// Output channels per block (MMAction2: 64, 64, 64, 64, 128, 128, 128, 256, 256, 256).
    public var channels: [Int]
    /// Temporal stride per block (MMAction2: 2 in blocks 4 and 7).
    public var strides: [Int]
    public var edgeImportanceWeighting: Bool
    public var dataBN: Bool
    /// Dropout after the temporal BN of every block but the first.
    public var dropout: Float
    public var numClasses: Int
    /// Persons per sample; the head averages over them.
    public var numPerson: Int

    public init(inChannels: Int = 3, layout: SkeletonLayout, strategy: String = "spatial", maxHop: Int = 1, dilation: Int = 1,
                channels: [Int] = [64, 64, 64, 64, 128, 128, 128, 256, 256, 256],
                strides: [Int] = [1, 1, 1, 1, 2, 1, 1, 2, 1, 1],
                edgeImportanceWeighting: Bool = true, dataBN: Bool = true, dropout: Float = 0,
                numClasses: Int, numPerson: Int) {
        precondition(channels.count == strides.count && !channels.isEmpty, "one stride per block")
        self.inChannels = inChannels
        self.layout = layout
        self.strategy = strategy
        self.maxHop = maxHop
        self.dilation = dilation
        self.channels = channels
        self.strides = strides
        self.edgeImportanceWeighting = edgeImportanceWeighting
        self.dataBN = dataBN
        self.dropout = dropout
        self.numClasses = numClasses
        self.numPerson = numPerson
    }

    public var graph: Graph { Graph(layout: layout, strategy: strategy, maxHop: maxHop, dilation: dilation) }

    /// Input channels of block `i`.
    public func blockInput(_ i: Int) -> Int { i == 0 ? inChannels : channels[i - 1] }

    /// Residual kind of block `i`, as `st_gcn` decides it.
    public func residual(_ i: Int) -> ResidualKind {
        if i == 0 { return .none }
        return blockInput(i) == channels[i] && strides[i] == 1 ? .identity : .convolution
    }

    public enum ResidualKind: Sendable { case none, identity, convolution }

    /// Trainable parameters (buffers excluded), as `sum(p.numel() for p in model.parameters())`.
    public var parameterCount: Int {
        let graph = graph
        let k = graph.partitions, v = layout.jointCount
        var count = dataBN ? 2 * inChannels * v : 0
        for i in channels.indices {
            let cin = blockInput(i), cout = channels[i]
            count += k * cout * cin + k * cout      // gcn.conv 1x1
            count += 2 * cout                        // tcn.0 BN
            count += cout * cout * 9 + cout          // tcn.2 conv 9x1
            count += 2 * cout                        // tcn.3 BN
            if residual(i) == .convolution { count += cout * cin + cout + 2 * cout }
            if edgeImportanceWeighting { count += k * v * v }
        }
        return count + numClasses * (channels.last ?? 0) + numClasses
    }
}
