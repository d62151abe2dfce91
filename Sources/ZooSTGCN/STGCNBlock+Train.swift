// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, K spatial partitions, Kt temporal kernel,
// P = T*V, Q = T'*V.
import ZooTensor

extension STGCNBlock {
    /// How much of a block's training state the fused forward keeps for the fused backward.
    enum Retention: Int, Comparable, Sendable {
        /// Nothing but the block input (held by the model): the backward reruns the block's forward first.
        case input
        /// The pre-BN temporal convolution output, the batch statistics and the dropout mask as bits; the backward
        /// recomputes the gcn projection and aggregation (two gcn GEMMs per sequence) and the residual 1x1 convolution.
        case compact
        /// Compact plus the gcn projection (K·Cout channels), its aggregation and the residual convolution's output:
        /// nothing is recomputed.
        case full

        static func < (a: Retention, b: Retention) -> Bool { a.rawValue < b.rawValue }
    }

    /// What the fused training forward keeps. The block's input and output are held by the model (each block's
    /// output is the next block's input); the cheap elementwise results (BN outputs, ReLUs, dropout, residual sum)
    /// are recomputed from these with the forward's own operations, so the backward sees the same bits.
    struct TrainState: Sendable {
        let adjacency: SparseAdjacency
        let gcnNorm: BatchNorm.Batch
        let temporalNorm: BatchNorm.Batch
        let residualNorm: BatchNorm.Batch?
        /// g, the gcn output before BN (S, Cout, T, V), and the projection before the einsum (S, K·Cout, T, V);
        /// `.full` only.
        let aggregated: Tensor?
        let projected: Tensor?
        /// u, the temporal convolution's output before BN (S, Cout, T', V).
        let temporalOutput: Tensor
        /// The residual convolution's output before BN (S, Cout, T', V), for a convolution residual; `.full` only (a 1x1
        /// convolution, recomputed per sequence otherwise).
        let residualOutput: Tensor?
        /// Dropout mask, one bit per element of u (set: kept and scaled by 1/(1-p)); each sequence starts a new word.
        let dropoutMask: [UInt64]?
    }

    /// Training-mode forward fused per sequence: the operations and their order are those of
    /// ``forward(_:_:_:pattern:training:dropoutRNG:threads:)`` with `training: true` (equal bits), but each
    /// sequence runs through a whole phase while it is in cache, and phases meet only where BN needs the batch:
    /// (1) gcn projection, einsum, residual convolution and their moments; (2) BN + ReLU, temporal convolution and
    /// its moments; (3) BN, dropout, residual, ReLU. The output, the state and the scratch come from `workspace`; the
    /// scratch goes back to it on return.
    func forwardTraining(_ input: Tensor, _ parameters: Parameters, _ buffers: inout Buffers, pattern: Tensor,
                         dropoutRNG: CounterRNG?, retention: Retention, threads: Int,
                         workspace: TrainingWorkspace = TrainingWorkspace()) -> (output: Tensor, state: TrainState) {
        let s = input.shape[0], cin = input.shape[1], t = input.shape[2], v = input.shape[3]
        let k = pattern.shape[0], cout = gcn.outputChannels, kc = k * cout, p = t * v
        let tOut = temporal.outputFrames(t), q = tOut * v, depth = cout * temporal.kernelSize
        precondition(cin == gcn.inputChannels && v == pattern.shape[1], "STGCNBlock input \(input.shape)")
        let adjacency = effectiveAdjacency(parameters, pattern: pattern)
        let keepAll = retention == .full
        let convolutionResidual = residual != nil
        let workers = max(1, min(threads, s))

        // Phase 1: projection, einsum and the residual convolution, with their per-sequence moments.
        var projected = keepAll ? workspace.zeros([s, kc, t, v]) : Tensor(zeros: [0])
        var aggregated = workspace.zeros([s, cout, t, v])
        var residualOutput = convolutionResidual ? workspace.zeros([s, cout, tOut, v]) : Tensor(zeros: [0])
        var gcnMoments = [Double](repeating: 0, count: s * cout * 2), residualMoments = gcnMoments
        let residualColumns = convolutionResidual && residual!.stride != 1 ? cin * q : 0
        let phase1 = (keepAll ? 0 : kc * p) + residualColumns
        var scratch = workspace.scratch(workers * phase1)
        input.withUnsafeBufferPointer { x in
        projected.withUnsafeMutableBufferPointer { keep in
        aggregated.withUnsafeMutableBufferPointer { g in
        residualOutput.withUnsafeMutableBufferPointer { r in
        gcnMoments.withUnsafeMutableBufferPointer { gm in
        residualMoments.withUnsafeMutableBufferPointer { rm in
        scratch.withUnsafeMutableBufferPointer { scratch in
            let xBase = x.baseAddress!, gBase = g.baseAddress!, keepBase = keep.baseAddress, rBase = r.baseAddress
            let gmBase = gm.baseAddress!, rmBase = rm.baseAddress!, scratchBase = scratch.baseAddress
            Parallel.forEach(s, threads: threads) { worker, n in
                let workerScratch = scratchBase.map { $0 + worker * phase1 }
                let xN = xBase + n * cin * p, gN = gBase + n * cout * p
                let y = keepAll ? keepBase! + n * kc * p : workerScratch!
                project(y, gN, xN, parameters, adjacency: adjacency, frames: t, joints: v)
                Kernels.channelMoments(gmBase + n * cout * 2, gmBase + n * cout * 2 + cout, gN, channels: cout, plane: p)
                if convolutionResidual, let rBase {
                    let rN = rBase + n * cout * q
                    residualConvolution(rN, xN, parameters, scratch: workerScratch.map { $0 + (keepAll ? 0 : kc * p) },
                                        frames: t, joints: v, outFrames: tOut)
                    Kernels.channelMoments(rmBase + n * cout * 2, rmBase + n * cout * 2 + cout, rN, channels: cout, plane: q)
                }
            }
        }
        }
        }
        }
        }
        }
        }
        workspace.recycleScratch(consume scratch)
        let gcnNorm = BatchNorm.Batch(moments: gcnMoments, sequences: s, plane: p, parameters.gcnNorm, &buffers.gcnNorm)
        var residualNorm: BatchNorm.Batch?
        if convolutionResidual, let normParameters = parameters.residualNorm, var normBuffers = buffers.residualNorm {
            residualNorm = BatchNorm.Batch(moments: residualMoments, sequences: s, plane: q, normParameters, &normBuffers)
            buffers.residualNorm = normBuffers
        }

        // Phase 2: BN + ReLU (tcn[0..1]) and the 9x1 convolution (tcn[2]), with its moments.
        var temporalOutput = workspace.zeros([s, cout, tOut, v])
        var temporalMoments = [Double](repeating: 0, count: s * cout * 2)
        let phase2 = paddedCount(frames: t, joints: v) + depth * q
        scratch = workspace.scratch(workers * phase2)
        aggregated.withUnsafeBufferPointer { g in
        temporalOutput.withUnsafeMutableBufferPointer { u in
        temporalMoments.withUnsafeMutableBufferPointer { um in
        scratch.withUnsafeMutableBufferPointer { scratch in
            let gBase = g.baseAddress!, uBase = u.baseAddress!, umBase = um.baseAddress!, scratchBase = scratch.baseAddress!
            Parallel.forEach(s, threads: threads) { worker, n in
                let padded = scratchBase + worker * phase2, columns = padded + paddedCount(frames: t, joints: v), uN = uBase + n * cout * q
                parameters.temporal.weight.withUnsafeBufferPointer { w in
                    normalizeAndConvolve(uN, gBase + n * cout * p, scale: gcnNorm.scale, shift: gcnNorm.shift, padded: padded, columns: columns,
                                         weight: w.baseAddress!, frames: t, joints: v)
                }
                parameters.temporal.bias.withUnsafeBufferPointer { b in
                    Kernels.addBias(uN, b.baseAddress!, channels: temporal.outputChannels, plane: q)
                }
                Kernels.channelMoments(umBase + n * cout * 2, umBase + n * cout * 2 + cout, uN, channels: cout, plane: q)
            }
        }
        }
        }
        }
        workspace.recycleScratch(consume scratch)
        let temporalNorm = BatchNorm.Batch(moments: temporalMoments, sequences: s, plane: q, parameters.temporalNorm, &buffers.temporalNorm)

        // Phase 3: BN (tcn[3]), dropout (tcn[4]), + residual, ReLU.
        let words = (cout * q + 63) / 64
        var mask: [UInt64]?
        if dropout > 0, let dropoutRNG {
            mask = [UInt64](repeating: 0, count: s * words)
            mask!.withUnsafeMutableBufferPointer { bits in
                let base = bits.baseAddress!, threshold = dropout, elements = cout * q
                Parallel.forEach(s, threads: threads) { _, n in
                    let row = base + n * words
                    for i in 0..<elements where !(dropoutRNG.uniform(UInt64(n * elements + i)) < threshold) {
                        row[i >> 6] |= 1 << UInt64(i & 63)
                    }
                }
            }
        }
        let output = workspace.tensor([s, cout, tOut, v]) { out in
            temporalOutput.withUnsafeBufferPointer { u in
            input.withUnsafeBufferPointer { x in
            residualOutput.withUnsafeBufferPointer { r in
            (mask ?? []).withUnsafeBufferPointer { bits in
                let outBase = out.baseAddress!, uBase = u.baseAddress!, xBase = x.baseAddress!
                let rBase = convolutionResidual ? r.baseAddress : nil, bitsBase = mask == nil ? nil : bits.baseAddress
                Parallel.forEach(s, threads: threads) { _, n in
                    let y = outBase + n * cout * q
                    Kernels.affine(y, uBase + n * cout * q, scale: temporalNorm.scale, shift: temporalNorm.shift, channels: cout, plane: q, relu: false)
                    if let bitsBase { applyDropout(y, bitsBase + n * words, count: cout * q) }
                    switch residualKind {
                    case .none:
                        for i in 0..<cout * q { y[i] = max(0, y[i]) }
                    case .identity:
                        let xN = xBase + n * cin * p
                        for i in 0..<cout * q { y[i] = max(0, y[i] + xN[i]) }
                    case .convolution:
                        guard let rBase, let residualNorm else { preconditionFailure("convolution residual without its state") }
                        addNormalizedResidual(y, rBase + n * cout * q, residualNorm, channels: cout, plane: q)
                    }
                }
            }
            }
            }
            }
        }
        let state = TrainState(adjacency: adjacency, gcnNorm: gcnNorm, temporalNorm: temporalNorm, residualNorm: residualNorm,
                               aggregated: keepAll ? aggregated : nil, projected: keepAll ? projected : nil,
                               temporalOutput: temporalOutput, residualOutput: keepAll && convolutionResidual ? residualOutput : nil,
                               dropoutMask: mask)
        if !keepAll { workspace.recycle([aggregated, residualOutput]) }
        return (output, state)
    }

    // MARK: - Pieces shared by the fused forward and backward (one sequence each)

    /// A_eff = A ⊙ importance as the sparse kernel's non-zeros.
    func effectiveAdjacency(_ parameters: Parameters, pattern: Tensor) -> SparseAdjacency {
        var effective = pattern.storage
        for i in effective.indices { effective[i] *= parameters.importance.storage[i] }
        return SparseAdjacency(pattern: pattern.storage, effective: effective, partitions: pattern.shape[0], joints: pattern.shape[1])
    }

    /// gcn: y (K·Cout, P) = W·x + b, then g (Cout, P) = einsum(y, A_eff); as ``GraphConv/forward(_:_:adjacency:saving:threads:)``.
    func project(_ y: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ parameters: Parameters,
                 adjacency: SparseAdjacency, frames t: Int, joints v: Int) {
        let kc = gcn.partitions * gcn.outputChannels, p = t * v
        parameters.gcn.weight.withUnsafeBufferPointer { w in
            parameters.gcn.bias.withUnsafeBufferPointer { b in
                GEMM.sgemm(y, w.baseAddress!, x, m: kc, n: p, k: gcn.inputChannels)
                Kernels.addBias(y, b.baseAddress!, channels: kc, plane: p)
            }
        }
        adjacency.aggregate(g, y, rows: gcn.outputChannels * t)
    }

    /// The residual 1x1 convolution with stride, before its BN; `scratch` holds Cin·Q values when strided.
    func residualConvolution(_ r: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ parameters: Parameters,
                             scratch: UnsafeMutablePointer<Float>?, frames t: Int, joints v: Int, outFrames tOut: Int) {
        guard let residual, let residualParameters = parameters.residual else { return }
        let cin = residual.inputChannels, cout = residual.outputChannels, q = tOut * v
        var columns = x
        if residual.stride != 1, let scratch {
            Kernels.subsampleFrames(scratch, x, channels: cin, frames: t, joints: v, stride: residual.stride, outFrames: tOut)
            columns = UnsafePointer(scratch)
        }
        residualParameters.weight.withUnsafeBufferPointer { w in
            residualParameters.bias.withUnsafeBufferPointer { b in
                GEMM.sgemm(r, w.baseAddress!, columns, m: cout, n: q, k: cin)
                Kernels.addBias(r, b.baseAddress!, channels: cout, plane: q)
            }
        }
    }

    /// `y[i] *= mask[i]` with mask 0 (bit clear) or 1/(1-p) (bit set), as the layer-by-layer forward multiplies.
    func applyDropout(_ y: UnsafeMutablePointer<Float>, _ bits: UnsafePointer<UInt64>, count: Int) {
        Kernels.scaleByMask(y, bits, scale: 1 / (1 - dropout), count: count)
    }

    /// `y = ReLU(y + (r·scale + shift))`: the normalised residual added, as the layer-by-layer forward rounds it.
    func addNormalizedResidual(_ y: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>, _ norm: BatchNorm.Batch, channels: Int, plane: Int) {
        for c in 0..<channels {
            let a = norm.scale[c], b = norm.shift[c], row = y + c * plane, source = r + c * plane
            for i in 0..<plane { row[i] = max(0, row[i] + (source[i] * a + b)) }
        }
    }
}

extension BatchNorm {
    /// A training-mode BN's batch: its statistics and the affine map they give.
    struct Batch: Sendable {
        let mean: [Float]
        let invStd: [Float]
        let scale: [Float]
        let shift: [Float]

        /// From per-sequence moments (see ``BatchNorm/statistics(partials:sequences:channels:plane:)``); updates `buffers`
        /// as ``BatchNorm/forward(_:_:_:training:relu:threads:)`` does.
        init(moments: [Double], sequences: Int, plane: Int, _ parameters: Parameters, _ buffers: inout Buffers) {
            let stats = BatchNorm.statistics(partials: moments, sequences: sequences, channels: parameters.weight.count, plane: plane)
            let affine = BatchNorm.trainingAffine(stats, parameters, &buffers)
            mean = stats.mean
            invStd = affine.invStd
            scale = affine.scale
            shift = affine.shift
        }
    }
}
