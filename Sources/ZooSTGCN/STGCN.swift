// N samples, C coordinates, T frames, V joints, M persons, S = N*M sequences, K spatial partitions.
//
// ST-GCN as MMAction2 0.x builds it (`SkeletonGCN` = `STGCN` backbone + `STGCNHead`), forward and
// backward in plain Swift over SkelZoo's GEMM. Every layer keeps PyTorch's operation order; the model runs each
// block fused per sequence (`STGCNBlock+Eval`, `+Train`, `+TrainBackward`), with the same operations as the
// layer-by-layer `STGCNBlock.forward`/`backward` (tested bit for bit), and work is split by sequence so results never
// depend on the thread count.
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
        /// Each block's input, then the last block's output: block i reads `activations[i]` and `activations[i + 1]`.
        let activations: [Tensor]
        let blocks: [BlockState]
        let head: Head.Saved
        let inputShape: [Int]
        /// Where the activations and block states came from; `backward` takes its buffers from it and hands all of
        /// these back when done.
        let workspace: TrainingWorkspace
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

    /// What `backward` needs of one block beyond its input and output: the fused forward's state, or what reruns
    /// that forward (the block's BN buffers before the step and its dropout stream). Rerunning repeats the same
    /// operations in the same order, so the gradients are the same bits either way.
    enum BlockState: Sendable {
        case kept(STGCNBlock.TrainState)
        case recompute(buffers: STGCNBlock.Buffers, dropoutRNG: CounterRNG?)
    }

    /// Bytes of training state kept for `backward` (estimated); past it, blocks keep less and recompute more in
    /// `backward` (see ``retention(sequences:frames:budget:)``). At batch 16, M=2 (32 sequences), NTU-60 2D: T=100
    /// keeps every block in full (815 MiB); T=300 keeps every block compact (772 MiB; block 0 in full would be 931).
    public static let savedActivationBudget = 896 << 20

    /// Estimated bytes each block keeps at each retention: (input only, compact, full).
    func savedBytes(block i: Int, sequences: Int, frames: Int) -> (input: Int, compact: Int, full: Int) {
        let cin = configuration.blockInput(i), cout = configuration.channels[i], v = configuration.layout.jointCount
        let tOut = (frames - 1) / configuration.strides[i] + 1
        let plane = sequences * frames * v * MemoryLayout<Float>.size, outPlane = sequences * tOut * v * MemoryLayout<Float>.size
        let input = cin * plane
        let residual = configuration.residual(i) == .convolution ? cout * outPlane : 0
        let compact = input + cout * outPlane + (configuration.dropout > 0 ? cout * outPlane / 32 : 0)
        return (input, compact, compact + (configuration.graph.partitions + 1) * cout * plane + residual)
    }

    /// What each block keeps so that the total stays within `budget`: every block compact if that fits (else blocks
    /// in order while it fits, the rest input only), then blocks upgraded to full in order while that fits.
    func retention(sequences: Int, frames: Int, budget: Int) -> [STGCNBlock.Retention] {
        var sizes: [(input: Int, compact: Int, full: Int)] = []
        var t = frames
        for i in blocks.indices {
            sizes.append(savedBytes(block: i, sequences: sequences, frames: t))
            t = (t - 1) / configuration.strides[i] + 1
        }
        var plan = [STGCNBlock.Retention](repeating: .input, count: blocks.count)
        var total = sizes.map(\.input).reduce(0, +)
        for level in [STGCNBlock.Retention.compact, .full] {
            for i in blocks.indices {
                let extra = level == .compact ? sizes[i].compact - sizes[i].input : sizes[i].full - sizes[i].compact
                guard plan[i] == (level == .compact ? .input : .compact), total + extra <= budget else { continue }
                plan[i] = level
                total += extra
            }
        }
        return plan
    }

    /// Runs the backbone and head.
    /// - Parameters:
    ///   - input: (N, C, T, V, M), M equal to the head's `num_person`.
    ///   - training: batch statistics in BN (and running-stat updates), dropout, and saved state for `backward`.
    ///   - dropoutRNG: the stream for this step's dropout masks (training only).
    ///   - activationBudget: bytes of training state kept for `backward`; past it, blocks keep less and recompute more.
    ///   - workspace: buffers for the training state and scratch (training only); pass the same one to every step of a
    ///     run so that steps reuse them rather than map fresh memory.
    /// - Returns: logits (N, NC), backbone features (S, C_last, T', V), and saved state in training mode.
    public mutating func forward(_ input: Tensor, training: Bool = false, dropoutRNG: CounterRNG? = nil,
                                 threads: Int = 1, activationBudget: Int = savedActivationBudget,
                                 workspace: TrainingWorkspace = TrainingWorkspace()) -> (logits: Tensor, features: Tensor, saved: Saved?) {
        precondition(input.rank == 5 && input.shape[1] == configuration.inChannels && input.shape[3] == configuration.layout.jointCount
                     && input.shape[4] == configuration.numPerson, "STGCN input \(input.shape) does not fit \(configuration)")
        var (x, dataSaved) = normalizeInput(input, training: training, threads: threads)
        var savedBlocks: [BlockState] = [], activations: [Tensor] = []
        let plan = training ? retention(sequences: x.shape[0], frames: x.shape[2], budget: activationBudget) : []
        if !training { x = forwardEvalBlocks(x, threads: threads) }
        for i in blocks.indices where training {
            let blockRNG = dropoutRNG?.substream(UInt64(i)), before = buffers.blocks[i]
            let (y, state) = blocks[i].forwardTraining(x, parameters.blocks[i], &buffers.blocks[i], pattern: adjacency,
                                                       dropoutRNG: blockRNG, retention: plan[i], threads: threads, workspace: workspace)
            savedBlocks.append(plan[i] == .input ? .recompute(buffers: before, dropoutRNG: blockRNG) : .kept(state))
            activations.append(x)
            x = y
        }
        activations.append(x)
        let (logits, headSaved) = head.forward(x, parameters.head)
        let saved = training ? Saved(dataNorm: dataSaved, activations: activations, blocks: savedBlocks, head: headSaved, inputShape: input.shape,
                                     workspace: workspace) : nil
        return (logits, x, saved)
    }

    /// The blocks in eval mode (fused per sequence): activations alternate between two buffers and the workers'
    /// scratch is one workspace for every block, so a forward maps its large buffers once, not once per block; the
    /// last block writes the returned tensor. Same operations as ``STGCNBlock/forwardEval(_:_:_:pattern:threads:)``.
    func forwardEvalBlocks(_ input: Tensor, threads: Int) -> Tensor {
        guard !blocks.isEmpty else { return input }
        let s = input.shape[0], v = input.shape[3], k = adjacency.shape[0]
        var frames = [input.shape[2]], activation = 0, scratch = 0
        for (i, block) in blocks.enumerated() {
            scratch = max(scratch, block.evalScratchCount(frames: frames[i], joints: v, partitions: k))
            frames.append(block.temporal.outputFrames(frames[i]))
            if i < blocks.count - 1 { activation = max(activation, s * block.gcn.outputChannels * frames[i + 1] * v) }
        }
        var workspace = [Float](repeating: 0, count: max(1, min(threads, s)) * scratch + 2 * activation)
        let last = blocks.count - 1
        return Tensor(uninitialized: [s, blocks[last].gcn.outputChannels, frames[last + 1], v]) { out in
            input.withUnsafeBufferPointer { x in
                workspace.withUnsafeMutableBufferPointer { w in
                    let ping = w.baseAddress!, pong = ping + activation, scratchBase = pong + activation
                    var source = x.baseAddress!
                    for i in blocks.indices {
                        let target = i == last ? out.baseAddress! : (i % 2 == 0 ? ping : pong)
                        blocks[i].forwardEval(source, into: target, sequences: s, frames: frames[i], joints: v, parameters.blocks[i],
                                              buffers.blocks[i], pattern: adjacency, workspace: scratchBase, threads: threads)
                        source = UnsafePointer(target)
                    }
                }
            }
        }
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
    /// The input gradient is not needed and not computed past the data BN. Hands `saved`'s buffers back to its
    /// workspace: `saved` is spent.
    public func backward(_ dLogits: Tensor, _ saved: consuming Saved, into gradients: inout Gradients, threads: Int = 1) {
        let workspace = saved.workspace
        var dx = head.backward(dLogits, saved.head, parameters.head, into: &gradients.head)
        // Blocks in reverse order.
        for i in blocks.indices.reversed() {
            let state: STGCNBlock.TrainState
            switch saved.blocks[i] {
            case .kept(let kept):
                state = kept
            case .recompute(var buffers, let dropoutRNG):
                // The same forward as in `forward` (training mode); the buffer updates it makes are discarded.
                let (output, recomputed) = blocks[i].forwardTraining(saved.activations[i], parameters.blocks[i], &buffers, pattern: adjacency,
                                                                     dropoutRNG: dropoutRNG, retention: .compact, threads: threads,
                                                                     workspace: workspace)
                workspace.recycle(consume output)
                state = recomputed
            }
            let dInput = blocks[i].backwardTraining(dx, input: saved.activations[i], output: saved.activations[i + 1], state, parameters.blocks[i],
                                                    pattern: adjacency, into: &gradients.blocks[i], threads: threads, workspace: workspace)
            if case .recompute = saved.blocks[i] { workspace.recycle(state) }
            if i != blocks.count - 1 { workspace.recycle(dx) }  // the head's dFeatures are not the workspace's
            dx = dInput
        }
        if let dataSaved = saved.dataNorm, let dataParameters = parameters.dataNorm, var dataGradients = gradients.dataNorm {
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
        if !blocks.isEmpty { workspace.recycle(consume dx) }
        workspace.recycle(consume saved)
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
