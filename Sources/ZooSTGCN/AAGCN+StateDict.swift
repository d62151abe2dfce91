// The MMAction2 1.x state_dict names of the AAGCN backbone (see GCNStateDict.swift for the table's rules).
import ZooTensor

extension AAGCN {
    public typealias StateEntry = GCNStateEntry<Parameters, Buffers>

    /// Every `backbone.*` key, in PyTorch's order: `backbone.A`, data_bn, then per block gcn (A, alpha, conv_d,
    /// conv_a, conv_b, down, bn), tcn (conv, bn), residual (conv, bn).
    public var stateEntries: [StateEntry] {
        var table = GCNStateTable<Parameters, Buffers>()
        let k = graph.partitions, v = graph.jointCount
        table.fixed("backbone.A", [k, v, v], \.adjacency)
        if let channels = parameters.dataNorm?.weight.count { table.norm("backbone.data_bn", channels, \.dataNorm!, \.dataNorm!) }
        for (i, block) in blocks.enumerated() {
            let prefix = "backbone.gcn.\(i)"
            let gcn: WritableKeyPath<Parameters, UnitAAGCN.Parameters> = \.blocks[i].gcn
            let gcnBuffers: WritableKeyPath<Buffers, UnitAAGCN.Buffers> = \.blocks[i].gcn
            if block.gcn.adaptive {
                table.parameter("\(prefix).gcn.A", [k, v, v], gcn.appending(path: \.adjacency))
                table.parameter("\(prefix).gcn.alpha", [1], gcn.appending(path: \.alpha))
            } else {
                table.fixed("\(prefix).gcn.A", [k, v, v], gcn.appending(path: \.adjacency))
            }
            for j in 0..<k { table.conv("\(prefix).gcn.conv_d.\(j)", block.gcn.convD, gcn.appending(path: \.convD[j])) }
            if block.gcn.adaptive {
                for j in 0..<k { table.conv("\(prefix).gcn.conv_a.\(j)", block.gcn.embed, gcn.appending(path: \.embedA[j])) }
                for j in 0..<k { table.conv("\(prefix).gcn.conv_b.\(j)", block.gcn.embed, gcn.appending(path: \.embedB[j])) }
            }
            if let down = block.gcn.down {
                table.convNorm("\(prefix).gcn.down", convName: "0", normName: "1", down, gcn.appending(path: \.down!), gcnBuffers.appending(path: \.down!))
            }
            table.norm("\(prefix).gcn.bn", block.shape.outputChannels, gcn.appending(path: \.norm), gcnBuffers.appending(path: \.norm))
            table.convNorm("\(prefix).tcn", convName: "conv", normName: "bn", block.temporal, \.blocks[i].temporal, \.blocks[i].temporal)
            if let residual = block.residual {
                table.convNorm("\(prefix).residual", convName: "conv", normName: "bn", residual, \.blocks[i].residual!, \.blocks[i].residual!)
            }
        }
        return table.entries
    }
}
