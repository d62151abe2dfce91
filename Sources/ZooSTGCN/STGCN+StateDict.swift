// The one table between MMAction2 0.x state_dict names and our parameters (stgcn.md section 5.1).
import ZooTensor
import ZooTorch

/// Why a state_dict does not fit the model.
public struct StateDictError: Error, Equatable, Sendable, CustomStringConvertible {
    public var missing: [String] = []
    public var unexpected: [String] = []
    /// (key, expected shape, found shape)
    public var misshaped: [String] = []
    /// Set when `backbone.A` differs from the graph this config builds.
    public var adjacency: String?

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty && adjacency == nil }

    public var description: String {
        var parts: [String] = []
        if !misshaped.isEmpty { parts.append("mis-shaped: \(misshaped.joined(separator: "; "))") }
        if !missing.isEmpty { parts.append("missing: \(missing.prefix(8).joined(separator: ", "))\(missing.count > 8 ? " and \(missing.count - 8) more" : "")") }
        if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.prefix(8).joined(separator: ", "))\(unexpected.count > 8 ? " and \(unexpected.count - 8) more" : "")") }
        if let adjacency { parts.append(adjacency) }
        return "checkpoint does not fit the model: " + parts.joined(separator: "; ")
    }

    /// The stored tensor named `name` when it is there with `shape`, marked consumed; otherwise recorded here as missing
    /// or mis-shaped, and nil.
    mutating func take(_ name: String, shape: [Int], from byName: [String: StoredTensor], consumed: inout Set<String>) -> StoredTensor? {
        guard let tensor = byName[name] else {
            missing.append(name)
            return nil
        }
        consumed.insert(name)
        guard tensor.shape == shape else {
            misshaped.append("\(name) expected \(shape), found \(tensor.shape)")
            return nil
        }
        return tensor
    }
}

extension STGCN {
    /// One state_dict entry and where it lives in the model.
    public enum Slot {
        case parameter(WritableKeyPath<Parameters, Tensor>)
        case buffer(WritableKeyPath<Buffers, Tensor>)
        case counter(WritableKeyPath<Buffers, Int64>)
        case adjacency
    }

    public struct StateEntry {
        public var name: String
        /// PyTorch's shape for this tensor.
        public var shape: [Int]
        public var slot: Slot
    }

    /// Every state_dict key of this model in PyTorch's `state_dict()` order, with its shape and our slot.
    public var stateEntries: [StateEntry] {
        var entries: [StateEntry] = []
        let k = adjacency.shape[0], v = adjacency.shape[1], c = configuration.inChannels
        func norm(_ prefix: String, _ channels: Int, _ parameters: WritableKeyPath<Parameters, BatchNorm.Parameters>,
                  _ buffers: WritableKeyPath<Buffers, BatchNorm.Buffers>) {
            entries.append(StateEntry(name: "\(prefix).weight", shape: [channels], slot: .parameter(parameters.appending(path: \.weight))))
            entries.append(StateEntry(name: "\(prefix).bias", shape: [channels], slot: .parameter(parameters.appending(path: \.bias))))
            entries.append(StateEntry(name: "\(prefix).running_mean", shape: [channels], slot: .buffer(buffers.appending(path: \.runningMean))))
            entries.append(StateEntry(name: "\(prefix).running_var", shape: [channels], slot: .buffer(buffers.appending(path: \.runningVar))))
            entries.append(StateEntry(name: "\(prefix).num_batches_tracked", shape: [], slot: .counter(buffers.appending(path: \.numBatchesTracked))))
        }
        entries.append(StateEntry(name: "backbone.A", shape: [k, v, v], slot: .adjacency))
        if configuration.dataBN { norm("backbone.data_bn", c * v, \.dataNorm!, \.dataNorm!) }
        for i in configuration.channels.indices {
            let cin = configuration.blockInput(i), cout = configuration.channels[i]
            let prefix = "backbone.st_gcn_networks.\(i)"
            entries.append(StateEntry(name: "\(prefix).gcn.conv.weight", shape: [k * cout, cin, 1, 1], slot: .parameter(\.blocks[i].gcn.weight)))
            entries.append(StateEntry(name: "\(prefix).gcn.conv.bias", shape: [k * cout], slot: .parameter(\.blocks[i].gcn.bias)))
            norm("\(prefix).tcn.0", cout, \.blocks[i].gcnNorm, \.blocks[i].gcnNorm)
            entries.append(StateEntry(name: "\(prefix).tcn.2.weight", shape: [cout, cout, 9, 1], slot: .parameter(\.blocks[i].temporal.weight)))
            entries.append(StateEntry(name: "\(prefix).tcn.2.bias", shape: [cout], slot: .parameter(\.blocks[i].temporal.bias)))
            norm("\(prefix).tcn.3", cout, \.blocks[i].temporalNorm, \.blocks[i].temporalNorm)
            if configuration.residual(i) == .convolution {
                entries.append(StateEntry(name: "\(prefix).residual.0.weight", shape: [cout, cin, 1, 1], slot: .parameter(\.blocks[i].residual!.weight)))
                entries.append(StateEntry(name: "\(prefix).residual.0.bias", shape: [cout], slot: .parameter(\.blocks[i].residual!.bias)))
                norm("\(prefix).residual.1", cout, \.blocks[i].residualNorm!, \.blocks[i].residualNorm!)
            }
        }
        if configuration.edgeImportanceWeighting {
            for i in configuration.channels.indices {
                entries.append(StateEntry(name: "backbone.edge_importance.\(i)", shape: [k, v, v], slot: .parameter(\.blocks[i].importance)))
            }
        }
        let features = configuration.channels.last ?? 0
        entries.append(StateEntry(name: "cls_head.fc.weight", shape: [configuration.numClasses, features, 1, 1], slot: .parameter(\.head.weight)))
        entries.append(StateEntry(name: "cls_head.fc.bias", shape: [configuration.numClasses], slot: .parameter(\.head.bias)))
        return entries
    }

    /// Loads an MMAction2 0.x STGCN state_dict. Every key must be consumed and every slot assigned: missing,
    /// unexpected and mis-shaped keys are reported by name; `backbone.A`, when present, must equal our graph.
    /// A leading `module.` (DDP) is stripped as mmcv does. 1.x keys (`backbone.gcn.*`) are reported as unexpected.
    public mutating func load(stateDict: [(name: String, tensor: StoredTensor)]) throws(StateDictError) {
        var error = StateDictError()
        var byName: [String: StoredTensor] = [:]
        for (name, tensor) in stateDict {
            byName[name.hasPrefix("module.") ? String(name.dropFirst(7)) : name] = tensor
        }
        var consumed: Set<String> = []
        var parameters = self.parameters, buffers = self.buffers
        for entry in stateEntries {
            // backbone.A is optional: mmcv load_checkpoint tolerates its absence.
            if byName[entry.name] == nil, case .adjacency = entry.slot { continue }
            guard let tensor = error.take(entry.name, shape: entry.shape, from: byName, consumed: &consumed) else { continue }
            switch entry.slot {
            case .parameter(let path): parameters[keyPath: path] = Tensor(shape: parameters[keyPath: path].shape, storage: tensor.floats)
            case .buffer(let path): buffers[keyPath: path] = Tensor(shape: buffers[keyPath: path].shape, storage: tensor.floats)
            case .counter(let path): buffers[keyPath: path] = tensor.integers?.first ?? Int64(tensor.floats.first ?? 0)
            case .adjacency:
                if tensor.floats != adjacency.storage {
                    let differing = zip(tensor.floats, adjacency.storage).enumerated().filter { $0.element.0 != $0.element.1 }.count
                    error.adjacency = "backbone.A differs from the \(configuration.layout.name)/\(configuration.strategy) graph in \(differing) of \(adjacency.count) entries (a checkpoint for another layout or MMAction2 version?)"
                }
            }
        }
        error.unexpected = stateDict.map { $0.name.hasPrefix("module.") ? String($0.name.dropFirst(7)) : $0.name }.filter { !consumed.contains($0) }
        guard error.isEmpty else { throw error }
        self.parameters = parameters
        self.buffers = buffers
    }

    /// The state_dict in PyTorch's order and shapes: (name, shape, Float values or an Int64 counter).
    public func stateDict() -> [(name: String, shape: [Int], values: StateValue)] {
        stateEntries.map { entry in
            switch entry.slot {
            case .parameter(let path): (entry.name, entry.shape, .floats(parameters[keyPath: path].storage))
            case .buffer(let path): (entry.name, entry.shape, .floats(buffers[keyPath: path].storage))
            case .counter(let path): (entry.name, entry.shape, .int64(buffers[keyPath: path]))
            case .adjacency: (entry.name, entry.shape, .floats(adjacency.storage))
            }
        }
    }

    public enum StateValue: Sendable, Equatable {
        case floats([Float])
        case int64(Int64)
    }
}

extension STGCN {
    /// `buffers` as state_dict entries (every BN's `running_mean`, `running_var`, `num_batches_tracked`), in
    /// state_dict order: how the BN statistics of data-parallel ranks other than 0 are written beside a checkpoint.
    public func bufferDict(_ buffers: Buffers) -> [(name: String, shape: [Int], values: StateValue)] {
        stateEntries.compactMap { entry in
            switch entry.slot {
            case .buffer(let path): (entry.name, entry.shape, .floats(buffers[keyPath: path].storage))
            case .counter(let path): (entry.name, entry.shape, .int64(buffers[keyPath: path]))
            case .parameter, .adjacency: nil
            }
        }
    }

    /// Buffers read back from ``bufferDict(_:)`` entries: every buffer key present and shaped right, nothing else.
    public func loadBuffers(_ stored: [(name: String, tensor: StoredTensor)]) throws(StateDictError) -> Buffers {
        var error = StateDictError()
        var byName: [String: StoredTensor] = [:]
        for (name, tensor) in stored { byName[name] = tensor }
        var result = buffers
        var consumed: Set<String> = []
        for entry in stateEntries {
            let isBuffer: Bool
            switch entry.slot {
            case .buffer, .counter: isBuffer = true
            case .parameter, .adjacency: isBuffer = false
            }
            guard isBuffer else { continue }
            guard let tensor = error.take(entry.name, shape: entry.shape, from: byName, consumed: &consumed) else { continue }
            switch entry.slot {
            case .buffer(let path): result[keyPath: path] = Tensor(shape: result[keyPath: path].shape, storage: tensor.floats)
            case .counter(let path): result[keyPath: path] = tensor.integers?.first ?? Int64(tensor.floats.first ?? 0)
            case .parameter, .adjacency: break
            }
        }
        error.unexpected = stored.map(\.name).filter { !consumed.contains($0) }
        guard error.isEmpty else { throw error }
        return result
    }
}
