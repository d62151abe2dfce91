// N samples, C coordinates, T frames, V joints, M persons, S = N*M sequences, K spatial partitions.
//
// ST-GCN as MMAction2 0.x builds it (`SkeletonGCN` = `STGCN` backbone + `STGCNHead`), forward and
// backward in plain Swift over OpenBLAS. Correctness first: every layer keeps PyTorch's operation order;
// sgemm is the only fast path, and work is split by sequence so results never depend on the thread count.
import ZooTensor

public struct STGCN: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var dataNorm: BatchNorm.Parameters?   // data_bn over V*C channels (index v*C + c)
        public var blocks: [STGCNBlock.Parameters]
        public var head: Head.Parameters
    }

    public typealias Gradients = Parameters

    public struct Buffers: Sendable, Equatable {
        public var dataNorm: BatchNorm.Buffers?
        public var blocks: [STGCNBlock.Buffers]
    }

    /// What training-mode `forward` keeps for `backward`.
    public struct Saved: Sendable {
        let dataNorm: BatchNorm.Saved?
        let blocks: [BlockState]
        let head: Head.Saved
        let inputShape: [Int]
    }

    public let configuration: STGCNConfiguration
    /// The graph's A (K, V, V) as Float32, the `backbone.A` buffer.
    public let adjacency: Tensor
    public var parameters: Parameters
    public var buffers: Buffers
    public let blocks: [STGCNBlock]
    public let head: Head

    /// A model with PyTorch's default-constructed values (BN weight 1, bias 0, running var 1, importance 1,
    /// convolutions zero). Load weights or initialise (`STGCN+Init.swift`) before use.
    public init(_ configuration: STGCNConfiguration) {
        self.configuration = configuration
        let graph = configuration.graph
        let k = graph.partitions, v = configuration.layout.jointCount, c = configuration.inChannels
        adjacency = Tensor(shape: [k, v, v], storage: graph.adjacencyFloat)
        var blockParameters: [STGCNBlock.Parameters] = []
        var blockBuffers: [STGCNBlock.Buffers] = []
        var blocks: [STGCNBlock] = []
        for i in configuration.channels.indices {
            let cin = configuration.blockInput(i), cout = configuration.channels[i]
            let kind = configuration.residual(i)
            blocks.append(STGCNBlock(inputChannels: cin, outputChannels: cout, stride: configuration.strides[i], partitions: k,
                                     residual: kind, dropout: i == 0 ? 0 : configuration.dropout))
            blockParameters.append(STGCNBlock.Parameters(
                gcn: .init(weight: Tensor(zeros: [k * cout, cin]), bias: Tensor(zeros: [k * cout])),
                gcnNorm: .init(channels: cout),
                temporal: .init(weight: Tensor(zeros: [cout, cout, 9]), bias: Tensor(zeros: [cout])),
                temporalNorm: .init(channels: cout),
                residual: kind == .convolution ? .init(weight: Tensor(zeros: [cout, cin, 1]), bias: Tensor(zeros: [cout])) : nil,
                residualNorm: kind == .convolution ? .init(channels: cout) : nil,
                importance: Tensor(zeros: [k, v, v], value: 1)))
            blockBuffers.append(STGCNBlock.Buffers(gcnNorm: .init(channels: cout), temporalNorm: .init(channels: cout),
                                                   residualNorm: kind == .convolution ? .init(channels: cout) : nil))
        }
        let features = configuration.channels.last ?? 0
        parameters = Parameters(
            dataNorm: configuration.dataBN ? .init(channels: c * v) : nil, blocks: blockParameters,
            head: .init(weight: Tensor(zeros: [configuration.numClasses, features]), bias: Tensor(zeros: [configuration.numClasses])))
        buffers = Buffers(dataNorm: configuration.dataBN ? .init(channels: c * v) : nil, blocks: blockBuffers)
        self.blocks = blocks
        head = Head(persons: configuration.numPerson)
    }

    // MARK: - Forward

    /// What `backward` needs of one block: its saved state, or what recomputes it (the block's input, its BN
    /// buffers before the step and its dropout stream). Recomputing runs the same operations in the same order,
    /// so the gradients are the same bits either way; it trades one more block forward for memory.
    enum BlockState: Sendable {
        case saved(STGCNBlock.Saved)
        case recompute(input: Tensor, buffers: STGCNBlock.Buffers, dropoutRNG: CounterRNG?)
    }

    /// Saved activations kept in full up to this many bytes (estimated); blocks past it are recomputed in
    /// `backward` (T=300, batch 16, M=2: peak RSS 3.7 GiB before, see the README bench section for now).
    public static let savedActivationBudget = 512 << 20

    /// Estimated bytes a block's full saved state takes: its input, the K·Cout projection and about six
    /// Cout-channel tensors (BN inputs and outputs, ReLU outputs, dropout mask, residual), per position.
    func savedBytes(block i: Int, sequences: Int, frames: Int) -> Int {
        let cin = configuration.blockInput(i), cout = configuration.channels[i]
        let positions = sequences * frames * configuration.layout.jointCount
        return positions * (cin + (configuration.graph.partitions + 6) * cout) * MemoryLayout<Float>.size
    }

    /// Runs the backbone and head.
    /// - Parameters:
    ///   - input: (N, C, T, V, M), M equal to the head's `num_person`.
    ///   - training: batch statistics in BN (and running-stat updates), dropout, and saved state for `backward`.
    ///   - dropoutRNG: the stream for this step's dropout masks (training only).
    ///   - activationBudget: bytes of saved state kept in full before blocks are recomputed in `backward`.
    /// - Returns: logits (N, NC), backbone features (S, C_last, T', V), and saved state in training mode.
    public mutating func forward(_ input: Tensor, training: Bool = false, dropoutRNG: CounterRNG? = nil,
                                 threads: Int = 1, activationBudget: Int = savedActivationBudget) -> (logits: Tensor, features: Tensor, saved: Saved?) {
        precondition(input.rank == 5 && input.shape[1] == configuration.inChannels && input.shape[3] == configuration.layout.jointCount
                     && input.shape[4] == configuration.numPerson, "STGCN input \(input.shape) does not fit \(configuration)")
        var (x, dataSaved) = normalizeInput(input, training: training, threads: threads)
        var savedBlocks: [BlockState] = []
        var kept = 0
        for i in blocks.indices {
            if !training {
                x = blocks[i].forwardEval(x, parameters.blocks[i], buffers.blocks[i], pattern: adjacency, threads: threads)
                continue
            }
            let blockRNG = dropoutRNG?.substream(UInt64(i)), before = buffers.blocks[i]
            let (y, saved) = blocks[i].forward(x, parameters.blocks[i], &buffers.blocks[i], pattern: adjacency, training: training,
                                               dropoutRNG: blockRNG, threads: threads)
            let bytes = savedBytes(block: i, sequences: x.shape[0], frames: x.shape[2])
            if let saved, kept + bytes <= activationBudget {
                kept += bytes
                savedBlocks.append(.saved(saved))
            } else {
                savedBlocks.append(.recompute(input: x, buffers: before, dropoutRNG: blockRNG))
            }
            x = y
        }
        let (logits, headSaved) = head.forward(x, parameters.head)
        let saved = training ? Saved(dataNorm: dataSaved, blocks: savedBlocks, head: headSaved, inputShape: input.shape) : nil
        return (logits, x, saved)
    }

    /// (N, C, T, V, M) -> data BN over channels v*C + c -> (S, C, T, V), S index n*M + m.
    mutating func normalizeInput(_ input: Tensor, training: Bool, threads: Int) -> (Tensor, BatchNorm.Saved?) {
        let n = input.shape[0], c = input.shape[1], t = input.shape[2], v = input.shape[3], m = input.shape[4]
        // permute(0, 4, 3, 1, 2): (N, M, V, C, T), viewed as (S, V*C, T).
        var permuted = Tensor(zeros: [n * m, v * c, t])
        for sample in 0..<n {
            for person in 0..<m {
                for joint in 0..<v {
                    for coordinate in 0..<c {
                        let target = (((sample * m + person) * v + joint) * c + coordinate) * t
                        for frame in 0..<t {
                            permuted.storage[target + frame] = input.storage[(((sample * c + coordinate) * t + frame) * v + joint) * m + person]
                        }
                    }
                }
            }
        }
        var saved: BatchNorm.Saved?
        if let dataParameters = parameters.dataNorm, var dataBuffers = buffers.dataNorm {
            let result = BatchNorm.forward(permuted, dataParameters, &dataBuffers, training: training, threads: threads)
            buffers.dataNorm = dataBuffers
            permuted = result.output
            saved = result.saved
        }
        // (S, V, C, T) -> (S, C, T, V)
        var output = Tensor(zeros: [n * m, c, t, v])
        for s in 0..<n * m {
            for joint in 0..<v {
                for coordinate in 0..<c {
                    for frame in 0..<t {
                        output.storage[((s * c + coordinate) * t + frame) * v + joint] = permuted.storage[((s * v + joint) * c + coordinate) * t + frame]
                    }
                }
            }
        }
        return (output, saved)
    }

    // MARK: - Backward

    /// Adds the gradients of every parameter for `dLogits` (N, NC) into `gradients`; walks the model in reverse.
    /// The input gradient is not needed and not computed past the data BN.
    public func backward(_ dLogits: Tensor, _ saved: Saved, into gradients: inout Gradients, threads: Int = 1) {
        var dx = head.backward(dLogits, saved.head, parameters.head, into: &gradients.head)
        // Blocks in reverse order.
        for i in blocks.indices.reversed() {
            let state: STGCNBlock.Saved
            switch saved.blocks[i] {
            case .saved(let blockSaved):
                state = blockSaved
            case .recompute(let input, var buffers, let dropoutRNG):
                // The same forward as in `forward` (training mode); the buffer updates it makes are discarded.
                state = blocks[i].forward(input, parameters.blocks[i], &buffers, pattern: adjacency, training: true,
                                          dropoutRNG: dropoutRNG, threads: threads).saved!
            }
            dx = blocks[i].backward(dx, state, parameters.blocks[i], pattern: adjacency, into: &gradients.blocks[i], threads: threads)
        }
        guard let dataSaved = saved.dataNorm, let dataParameters = parameters.dataNorm, var dataGradients = gradients.dataNorm else { return }
        // (S, C, T, V) -> (S, V, C, T), the data BN's layout.
        let s = dx.shape[0], c = dx.shape[1], t = dx.shape[2], v = dx.shape[3]
        var permuted = Tensor(zeros: [s, v * c, t])
        for sequence in 0..<s {
            for joint in 0..<v {
                for coordinate in 0..<c {
                    for frame in 0..<t {
                        permuted.storage[((sequence * v + joint) * c + coordinate) * t + frame] = dx.storage[((sequence * c + coordinate) * t + frame) * v + joint]
                    }
                }
            }
        }
        _ = BatchNorm.backward(permuted, dataSaved, dataParameters, into: &dataGradients, threads: threads)
        gradients.dataNorm = dataGradients
    }

    /// Zero gradients shaped like the parameters.
    public func zeroGradients() -> Gradients {
        var gradients = parameters
        gradients.visitTensors { $0.zero() }
        return gradients
    }
}

extension STGCN.Parameters {
    /// Calls `body` on every tensor, in a fixed order (data BN, blocks in order, head).
    public mutating func visitTensors(_ body: (inout Tensor) -> Void) {
        if dataNorm != nil {
            body(&dataNorm!.weight)
            body(&dataNorm!.bias)
        }
        for i in blocks.indices {
            body(&blocks[i].gcn.weight)
            body(&blocks[i].gcn.bias)
            body(&blocks[i].gcnNorm.weight)
            body(&blocks[i].gcnNorm.bias)
            body(&blocks[i].temporal.weight)
            body(&blocks[i].temporal.bias)
            body(&blocks[i].temporalNorm.weight)
            body(&blocks[i].temporalNorm.bias)
            if blocks[i].residual != nil {
                body(&blocks[i].residual!.weight)
                body(&blocks[i].residual!.bias)
                body(&blocks[i].residualNorm!.weight)
                body(&blocks[i].residualNorm!.bias)
            }
            body(&blocks[i].importance)
        }
        body(&head.weight)
        body(&head.bias)
    }
}
