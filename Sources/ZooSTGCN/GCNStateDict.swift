// The MMAction2 1.x state_dict names of STGCN (ST-GCN, ST-GCN++), AAGCN and GCNHead, in one table each, in
// PyTorch's `state_dict()` order (a module's own parameters, then its buffers, then its children in registration order).
import ZooTensor
import ZooTorch

/// One state_dict entry and where it lives in a model with `Parameters` and `Buffers`.
public struct GCNStateEntry<Parameters, Buffers> {
    public enum Slot {
        /// A trained parameter (counted by `parameterCount`, visited by the optimizer).
        case parameter(WritableKeyPath<Parameters, Tensor>)
        /// A registered buffer kept beside the parameters (`unit_gcn.A` unless `adaptive='init'`, AAGCN's `backbone.A`):
        /// loaded and saved, never trained.
        case fixed(WritableKeyPath<Parameters, Tensor>)
        case buffer(WritableKeyPath<Buffers, Tensor>)
        case counter(WritableKeyPath<Buffers, Int64>)
    }

    public var name: String
    /// PyTorch's shape.
    public var shape: [Int]
    public var slot: Slot
}

/// Builds a table: helpers for the repeated shapes (BN, convolutions), prefixing MMAction2's module names.
struct GCNStateTable<Parameters, Buffers> {
    typealias Entry = GCNStateEntry<Parameters, Buffers>
    var entries: [Entry] = []

    mutating func parameter(_ name: String, _ shape: [Int], _ path: WritableKeyPath<Parameters, Tensor>) {
        entries.append(Entry(name: name, shape: shape, slot: .parameter(path)))
    }

    mutating func fixed(_ name: String, _ shape: [Int], _ path: WritableKeyPath<Parameters, Tensor>) {
        entries.append(Entry(name: name, shape: shape, slot: .fixed(path)))
    }

    mutating func norm(_ prefix: String, _ channels: Int, _ parameters: WritableKeyPath<Parameters, BatchNorm.Parameters>,
                       _ buffers: WritableKeyPath<Buffers, BatchNorm.Buffers>) {
        parameter("\(prefix).weight", [channels], parameters.appending(path: \.weight))
        parameter("\(prefix).bias", [channels], parameters.appending(path: \.bias))
        entries.append(Entry(name: "\(prefix).running_mean", shape: [channels], slot: .buffer(buffers.appending(path: \.runningMean))))
        entries.append(Entry(name: "\(prefix).running_var", shape: [channels], slot: .buffer(buffers.appending(path: \.runningVar))))
        entries.append(Entry(name: "\(prefix).num_batches_tracked", shape: [], slot: .counter(buffers.appending(path: \.numBatchesTracked))))
    }

    /// A Conv2d (Cout, Cin, Kt, 1) with bias.
    mutating func conv(_ prefix: String, _ layer: TemporalConv, _ path: WritableKeyPath<Parameters, TemporalConv.Parameters>) {
        parameter("\(prefix).weight", [layer.outputChannels, layer.inputChannels, layer.kernelSize, 1], path.appending(path: \.weight))
        parameter("\(prefix).bias", [layer.outputChannels], path.appending(path: \.bias))
    }

    /// A ConvNorm whose conv and BN are named `<prefix>.<convName>` and `<prefix>.<normName>`.
    mutating func convNorm(_ prefix: String, convName: String, normName: String, _ layer: ConvNorm,
                           _ parameters: WritableKeyPath<Parameters, ConvNorm.Parameters>, _ buffers: WritableKeyPath<Buffers, ConvNorm.Buffers>) {
        conv("\(prefix).\(convName)", layer.conv, parameters.appending(path: \.conv))
        if layer.normalized {
            norm("\(prefix).\(normName)", layer.conv.outputChannels, parameters.appending(path: \.norm!), buffers.appending(path: \.norm!))
        }
    }
}

extension GCNStateEntry.Slot {
    var isParameter: Bool { if case .parameter = self { true } else { false } }
}

/// Loads `stateDict` into `parameters` and `buffers` by `entries`: every key consumed, every entry assigned,
/// shapes checked; missing, unexpected and mis-shaped keys are reported together by name. A leading `module.` is
/// stripped as mmengine does. Keys under `ignoring` prefixes (the other half of a recognizer) are left alone.
func loadGCNState<Parameters, Buffers>(_ stateDict: [(name: String, tensor: StoredTensor)], entries: [GCNStateEntry<Parameters, Buffers>],
                                       parameters: inout Parameters, buffers: inout Buffers, owning prefixes: [String]) throws(StateDictError) {
    var error = StateDictError()
    var byName: [String: StoredTensor] = [:]
    var names: [String] = []
    for (name, tensor) in stateDict {
        let key = name.hasPrefix("module.") ? String(name.dropFirst(7)) : name
        guard prefixes.contains(where: { key.hasPrefix($0) }) else { continue }
        byName[key] = tensor
        names.append(key)
    }
    var newParameters = parameters, newBuffers = buffers
    var consumed: Set<String> = []
    for entry in entries {
        guard let tensor = error.take(entry.name, shape: entry.shape, from: byName, consumed: &consumed) else { continue }
        switch entry.slot {
        case .parameter(let path), .fixed(let path):
            newParameters[keyPath: path] = Tensor(shape: newParameters[keyPath: path].shape, storage: tensor.floats)
        case .buffer(let path):
            newBuffers[keyPath: path] = Tensor(shape: newBuffers[keyPath: path].shape, storage: tensor.floats)
        case .counter(let path):
            newBuffers[keyPath: path] = tensor.integers?.first ?? Int64(tensor.floats.first ?? 0)
        }
    }
    error.unexpected = names.filter { !consumed.contains($0) }
    guard error.isEmpty else { throw error }
    parameters = newParameters
    buffers = newBuffers
}

/// The state_dict of a model: (name, shape, values).
func gcnStateDict<Parameters, Buffers>(_ entries: [GCNStateEntry<Parameters, Buffers>], _ parameters: Parameters,
                                       _ buffers: Buffers) -> [(name: String, shape: [Int], values: STGCN.StateValue)] {
    entries.map { entry in
        switch entry.slot {
        case .parameter(let path), .fixed(let path): (entry.name, entry.shape, .floats(parameters[keyPath: path].storage))
        case .buffer(let path): (entry.name, entry.shape, .floats(buffers[keyPath: path].storage))
        case .counter(let path): (entry.name, entry.shape, .int64(buffers[keyPath: path]))
        }
    }
}

extension STGCN1x {
    public typealias StateEntry = GCNStateEntry<Parameters, Buffers>

    /// Every `backbone.*` key of this backbone, in PyTorch's order, with its shape and slot.
    public var stateEntries: [StateEntry] {
        var table = GCNStateTable<Parameters, Buffers>()
        if let channels = parameters.dataNorm?.weight.count { table.norm("backbone.data_bn", channels, \.dataNorm!, \.dataNorm!) }
        let k = graph.partitions, v = graph.jointCount
        for (i, block) in blocks.enumerated() {
            let prefix = "backbone.gcn.\(i)"
            // unit_gcn: A (parameter for 'init', else a buffer after PA), PA, then bn, conv, down.
            let gcn: WritableKeyPath<Parameters, UnitGCN.Parameters> = \.blocks[i].gcn
            let gcnBuffers: WritableKeyPath<Buffers, UnitGCN.Buffers> = \.blocks[i].gcn
            switch block.gcn.adaptiveMode {
            case .initial:
                table.parameter("\(prefix).gcn.A", [k, v, v], gcn.appending(path: \.adjacency))
            case .importance, .offset:
                table.parameter("\(prefix).gcn.PA", [k, v, v], gcn.appending(path: \.adaptive!))
                table.fixed("\(prefix).gcn.A", [k, v, v], gcn.appending(path: \.adjacency))
            case .none:
                table.fixed("\(prefix).gcn.A", [k, v, v], gcn.appending(path: \.adjacency))
            }
            table.norm("\(prefix).gcn.bn", block.shape.outputChannels, gcn.appending(path: \.norm), gcnBuffers.appending(path: \.norm))
            table.conv("\(prefix).gcn.conv", block.gcn.conv, gcn.appending(path: \.conv))
            if let down = block.gcn.down {
                table.convNorm("\(prefix).gcn.down", convName: "0", normName: "1", down, gcn.appending(path: \.down!), gcnBuffers.appending(path: \.down!))
            }
            if let temporal = block.temporal {
                table.convNorm("\(prefix).tcn", convName: "conv", normName: "bn", temporal, \.blocks[i].temporal!, \.blocks[i].temporal!)
            }
            if let multiScale = block.multiScale {
                let tcn: WritableKeyPath<Parameters, MultiScaleTCN.Parameters> = \.blocks[i].multiScale!
                let tcnBuffers: WritableKeyPath<Buffers, MultiScaleTCN.Buffers> = \.blocks[i].multiScale!
                for b in 0..<MultiScaleTCN.branchCount {
                    let branch = "\(prefix).tcn.branches.\(b)"
                    if b < MultiScaleTCN.branchCount - 1 {
                        table.convNorm(branch, convName: "0", normName: "1", multiScale.heads[b], tcn.appending(path: \.heads[b]), tcnBuffers.appending(path: \.heads[b]))
                    } else {
                        table.conv(branch, multiScale.heads[b].conv, tcn.appending(path: \.heads[b].conv))
                    }
                    if b < MultiScaleTCN.dilations.count {
                        table.conv("\(branch).3.conv", multiScale.dilated[b], tcn.appending(path: \.dilated[b]))
                    }
                }
                table.norm("\(prefix).tcn.transform.0", multiScale.channels, tcn.appending(path: \.transformNorm), tcnBuffers.appending(path: \.transformNorm))
                table.conv("\(prefix).tcn.transform.2", multiScale.transform, tcn.appending(path: \.transform))
                table.norm("\(prefix).tcn.bn", multiScale.channels, tcn.appending(path: \.norm), tcnBuffers.appending(path: \.norm))
            }
            if let residual = block.residual {
                table.convNorm("\(prefix).residual", convName: "conv", normName: "bn", residual, \.blocks[i].residual!, \.blocks[i].residual!)
            }
        }
        return table.entries
    }
}
