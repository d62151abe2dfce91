// S sequences, Cin/Cout channels, T frames (T' after the stride), V joints, K spatial partitions, Kt temporal kernel,
// P = T*V, Q = T'*V.
import ZooTensor

extension STGCNBlock {
    /// The backward of ``forwardTraining(_:_:_:pattern:dropoutRNG:retention:threads:)``, fused per sequence: the
    /// operations and their order are those of ``backward(_:_:_:pattern:into:threads:)`` (equal bits), in three
    /// phases that meet where BN needs sums over the batch: (1) ReLU, dropout and the BN sums of the temporal and
    /// residual branches; (2) their BN backward, the 9x1 and residual convolutions' backward, and the gcn BN sums;
    /// (3) the gcn BN backward, einsum and projection backward. The ReLU masks, h = ReLU(BN(g)) and, unless kept,
    /// the gcn projection are recomputed per sequence. Weight gradients are summed in sequence order.
    ///
    /// - Parameters:
    ///   - input: the block's input (S, Cin, T, V); `output` its output (S, Cout, T', V).
    ///   - workspace: where dInput and the scratch come from; the scratch goes back to it on return.
    /// - Returns: dInput (S, Cin, T, V).
    func backwardTraining(_ dOutput: Tensor, input: Tensor, output: Tensor, _ state: TrainState, _ parameters: Parameters,
                          pattern: Tensor, into gradients: inout Gradients, threads: Int,
                          workspace: TrainingWorkspace = TrainingWorkspace()) -> Tensor {
        let none = Tensor(zeros: [0])
        let pinned = [input, output, dOutput, state.temporalOutput, state.aggregated ?? none, state.projected ?? none, state.residualOutput ?? none]
        return Tensor.withBaseAddresses(pinned) { base in
            (state.dropoutMask ?? []).withUnsafeBufferPointer { bits in
                let inputs = Inputs(x: base[0], out: base[1], dOut: base[2], u: base[3], g: state.aggregated == nil ? nil : base[4],
                                    projected: state.projected == nil ? nil : base[5], residual: state.residualOutput == nil ? nil : base[6],
                                    mask: state.dropoutMask == nil ? nil : bits.baseAddress)
                return backwardPhases(dOutput, input: input, inputs, state, parameters, pattern: pattern, into: &gradients, threads: threads,
                                      workspace: workspace)
            }
        }
    }

    private func backwardPhases(_ dOutput: Tensor, input: Tensor, _ inputs: Inputs, _ state: TrainState, _ parameters: Parameters,
                                pattern: Tensor, into gradients: inout Gradients, threads: Int, workspace: TrainingWorkspace) -> Tensor {
        let s = input.shape[0], cin = input.shape[1], t = input.shape[2], v = input.shape[3]
        let kc = gcn.partitions * gcn.outputChannels, cout = gcn.outputChannels, p = t * v
        let tOut = dOutput.shape[2], q = tOut * v, depth = cout * temporal.kernelSize
        let words = (cout * q + 63) / 64, nnz = state.adjacency.values.count
        let residualNorm = state.residualNorm, kept = state.aggregated != nil
        let residualStride = residual?.stride ?? 1
        let slots = max(1, min(threads, s))

        // Phase 1: dPre = dOut where out > 0; BN sums of the residual branch (dPre) and of the temporal one (dPre·mask).
        var temporalSums = [Double](repeating: 0, count: s * cout * 2), residualSums = temporalSums
        let recomputeResidual = residualNorm != nil && inputs.residual == nil
        let phase1 = cout * q + (recomputeResidual ? cout * q + (residualStride != 1 ? cin * q : 0) : 0)
        var scratch = workspace.scratch(slots * phase1)
        temporalSums.withUnsafeMutableBufferPointer { ts in
        residualSums.withUnsafeMutableBufferPointer { rs in
        scratch.withUnsafeMutableBufferPointer { scratch in
            let tsBase = ts.baseAddress!, rsBase = rs.baseAddress!, scratchBase = scratch.baseAddress!
            Parallel.forEach(s, threads: threads) { worker, n in
                let d = scratchBase + worker * phase1
                inputs.preActivation(d, n, count: cout * q)
                if let residualNorm {
                    let rN = residualOutput(inputs, n, scratch: d + cout * q, parameters, frames: t, joints: v, outFrames: tOut)
                    BatchNorm.backwardPartials(rsBase + n * cout * 2, d, rN, mean: residualNorm.mean,
                                               invStd: residualNorm.invStd, channels: cout, plane: q)
                }
                if let bits = inputs.mask { applyDropout(d, bits + n * words, count: cout * q) }
                BatchNorm.backwardPartials(tsBase + n * cout * 2, d, inputs.u + n * cout * q, mean: state.temporalNorm.mean,
                                           invStd: state.temporalNorm.invStd, channels: cout, plane: q)
            }
        }
        }
        }
        workspace.recycleScratch(consume scratch)
        let temporalCoefficients = BatchNorm.backwardCoefficients(partials: temporalSums, sequences: s, plane: q, into: &gradients.temporalNorm)
        var residualCoefficients: (meanDy: [Float], meanDyX: [Float])?
        if residualNorm != nil, var normGradients = gradients.residualNorm {
            residualCoefficients = BatchNorm.backwardCoefficients(partials: residualSums, sequences: s, plane: q, into: &normGradients)
            gradients.residualNorm = normGradients
        }

        // Phase 2: BN backward, the 9x1 convolution's backward into dH, ReLU mask of h, gcn BN sums; the residual branch.
        var dH = workspace.zeros([s, cout, t, v])
        var dInput = workspace.zeros([s, cin, t, v])
        var gcnSums = [Double](repeating: 0, count: s * cout * 2)
        var temporalBias = [Float](repeating: 0, count: s * cout), residualBias = temporalBias
        let temporalWeightCount = cout * depth, residualWeightCount = residual == nil ? 0 : cout * cin
        let recompute = kept ? 0 : kc * p + cout * p
        let residualScratch = residual == nil ? 0 : 2 * cout * q + (residualStride != 1 ? 2 * cin * q : 0)
        let phase2 = cout * q + cout * p + depth * q + recompute + residualScratch + temporalWeightCount + residualWeightCount
        scratch = workspace.scratch(slots * phase2)
        var temporalGradients = gradients.temporal.weight, residualGradients = gradients.residual ?? TemporalConv.Parameters(weight: Tensor(zeros: [0]), bias: Tensor(zeros: [0]))
        gradients.temporal.weight = Tensor(zeros: [0])  // unshared while the threads add into it
        temporalGradients.withUnsafeMutableBufferPointer { tg in
        residualGradients.weight.withUnsafeMutableBufferPointer { rg in
        let temporalTarget = tg.baseAddress!, residualTarget = rg.baseAddress ?? tg.baseAddress!
        dH.withUnsafeMutableBufferPointer { dh in
        dInput.withUnsafeMutableBufferPointer { dx in
        gcnSums.withUnsafeMutableBufferPointer { gs in
        temporalBias.withUnsafeMutableBufferPointer { tb in
        residualBias.withUnsafeMutableBufferPointer { rb in
        scratch.withUnsafeMutableBufferPointer { scratch in
        parameters.temporal.weight.withUnsafeBufferPointer { tw in
        (parameters.residual?.weight ?? Tensor(zeros: [0])).withUnsafeBufferPointer { rw in
            let dhBase = dh.baseAddress!, dxBase = dx.baseAddress!, gsBase = gs.baseAddress!, tbBase = tb.baseAddress!, rbBase = rb.baseAddress!
            let scratchBase = scratch.baseAddress!, twBase = tw.baseAddress!, rwBase = rw.baseAddress
            Self.inOrderedGroups(s, threads: threads, reducing: temporalWeightCount + residualWeightCount) { slot, n in
                let dU = scratchBase + slot * phase2, h = dU + cout * q, columns = h + cout * p, dColumns = columns
                let y = columns + depth * q, gScratch = y + (kept ? 0 : kc * p), dConv = gScratch + (kept ? 0 : cout * p)
                let rScratch = dConv + (residual == nil ? 0 : cout * q), residualColumns = rScratch + (residual == nil ? 0 : cout * q)
                let dResidualColumns = residualColumns + (residualStride != 1 ? cin * q : 0)
                let dWeight = dConv + residualScratch, dResidualWeight = dWeight + temporalWeightCount
                let uN = inputs.u + n * cout * q, xN = inputs.x + n * cin * p, dhN = dhBase + n * cout * p, dxN = dxBase + n * cin * p
                // dU = BN backward of dPre·mask (tcn[3], tcn[4]).
                inputs.preActivation(dU, n, count: cout * q)
                if let bits = inputs.mask { applyDropout(dU, bits + n * words, count: cout * q) }
                BatchNorm.backwardInput(dU, dU, uN, mean: state.temporalNorm.mean, invStd: state.temporalNorm.invStd,
                                        weight: parameters.temporalNorm.weight.storage, meanDy: temporalCoefficients.meanDy,
                                        meanDyX: temporalCoefficients.meanDyX, channels: cout, plane: q)
                // h = ReLU(BN(g)), g kept or recomputed.
                let gN: UnsafePointer<Float>
                if let g = inputs.g {
                    gN = g + n * cout * p
                } else {
                    project(y, gScratch, xN, parameters, adjacency: state.adjacency, frames: t, joints: v)
                    gN = UnsafePointer(gScratch)
                }
                Kernels.affine(h, gN, scale: state.gcnNorm.scale, shift: state.gcnNorm.shift, channels: cout, plane: p, relu: true)
                // tcn[2]: dW_n = dU·colsᵀ, db_n = Σ dU, dcols = Wᵀ·dU (over cols), dH = col2im(dcols), then h's ReLU mask.
                Kernels.im2colTemporal(columns, h, channels: cout, frames: t, joints: v, kernel: temporal.kernelSize, stride: temporal.stride,
                                       padding: temporal.padding, outFrames: tOut)
                GEMM.sgemm(dWeight, dU, columns, m: cout, n: depth, k: q, transposeB: true)
                Kernels.addBiasGradient(tbBase + n * cout, dU, channels: cout, plane: q)
                GEMM.sgemm(dColumns, twBase, dU, m: depth, n: q, k: cout, transposeA: true)
                dhN.update(repeating: 0, count: cout * p)
                Kernels.col2imTemporalAdd(dhN, dColumns, channels: cout, frames: t, joints: v, kernel: temporal.kernelSize,
                                          stride: temporal.stride, padding: temporal.padding, outFrames: tOut)
                Kernels.reluBackward(dhN, dhN, activation: h, count: cout * p)
                BatchNorm.backwardPartials(gsBase + n * cout * 2, dhN, gN, mean: state.gcnNorm.mean, invStd: state.gcnNorm.invStd,
                                           channels: cout, plane: p)
                // Residual convolution: BN backward of dPre, then the strided 1x1 convolution's backward into dInput.
                if let residualNorm, let residualCoefficients, let rwBase, let normParameters = parameters.residualNorm {
                    let rN = residualOutput(inputs, n, scratch: rScratch, parameters, frames: t, joints: v, outFrames: tOut)
                    inputs.preActivation(dConv, n, count: cout * q)
                    BatchNorm.backwardInput(dConv, dConv, rN, mean: residualNorm.mean, invStd: residualNorm.invStd,
                                            weight: normParameters.weight.storage, meanDy: residualCoefficients.meanDy,
                                            meanDyX: residualCoefficients.meanDyX, channels: cout, plane: q)
                    var columnsN = xN
                    if residualStride != 1 {
                        Kernels.subsampleFrames(residualColumns, xN, channels: cin, frames: t, joints: v, stride: residualStride, outFrames: tOut)
                        columnsN = UnsafePointer(residualColumns)
                    }
                    GEMM.sgemm(dResidualWeight, dConv, columnsN, m: cout, n: cin, k: q, transposeB: true)
                    Kernels.addBiasGradient(rbBase + n * cout, dConv, channels: cout, plane: q)
                    if residualStride != 1 {
                        GEMM.sgemm(dResidualColumns, rwBase, dConv, m: cin, n: q, k: cout, transposeA: true)
                        dxN.update(repeating: 0, count: cin * p)
                        Kernels.subsampleFramesBackwardAdd(dxN, dResidualColumns, channels: cin, frames: t, joints: v, stride: residualStride, outFrames: tOut)
                    } else {
                        GEMM.sgemm(dxN, rwBase, dConv, m: cin, n: q, k: cout, transposeA: true)
                    }
                }
            } reduce: { slots, range in
                // Partials in slot (= sequence) order, per element: any split of the elements gives the same bits.
                for slot in 0..<slots {
                    let dWeight = scratchBase + slot * phase2 + (phase2 - temporalWeightCount - residualWeightCount)
                    for i in range.clamped(to: 0..<temporalWeightCount) { temporalTarget[i] += dWeight[i] }
                    for i in range.clamped(to: temporalWeightCount..<temporalWeightCount + residualWeightCount) {
                        residualTarget[i - temporalWeightCount] += dWeight[i]
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        gradients.temporal.weight = temporalGradients
        if residual != nil { gradients.residual = residualGradients }
        for n in 0..<s {
            for i in 0..<cout { gradients.temporal.bias.storage[i] += temporalBias[n * cout + i] }
            if residual != nil { for i in 0..<cout { gradients.residual!.bias.storage[i] += residualBias[n * cout + i] } }
        }
        let gcnCoefficients = BatchNorm.backwardCoefficients(partials: gcnSums, sequences: s, plane: p, into: &gradients.gcnNorm)

        // Phase 3: dG = BN backward of dH (tcn[0]), then the einsum's and the projection's backward (gcn).
        var gcnBias = [Float](repeating: 0, count: s * kc), values = [Float](repeating: 0, count: s * nnz)
        let phase3 = (kept ? 0 : kc * p + cout * p) + kc * p + (residualKind == .convolution ? cin * p : 0) + kc * cin
        workspace.recycleScratch(consume scratch)
        scratch = workspace.scratch(slots * phase3)
        gradients.gcn.weight.withUnsafeMutableBufferPointer { gwGradients in
        let gwTarget = gwGradients.baseAddress!
        dH.withUnsafeMutableBufferPointer { dh in
        dInput.withUnsafeMutableBufferPointer { dx in
        gcnBias.withUnsafeMutableBufferPointer { gb in
        values.withUnsafeMutableBufferPointer { va in
        scratch.withUnsafeMutableBufferPointer { scratch in
        parameters.gcn.weight.withUnsafeBufferPointer { gw in
            let dhBase = dh.baseAddress!, dxBase = dx.baseAddress!, gbBase = gb.baseAddress!, vaBase = va.baseAddress!
            let scratchBase = scratch.baseAddress!, gwBase = gw.baseAddress!
            Self.inOrderedGroups(s, threads: threads, reducing: kc * cin) { slot, n in
                let y = scratchBase + slot * phase3, gScratch = y + (kept ? 0 : kc * p), dY = gScratch + (kept ? 0 : cout * p)
                let gcnDx = dY + kc * p, dWeight = gcnDx + (residualKind == .convolution ? cin * p : 0)
                let xN = inputs.x + n * cin * p, dgN = dhBase + n * cout * p, dxN = dxBase + n * cin * p
                let gN: UnsafePointer<Float>, yN: UnsafePointer<Float>
                if let g = inputs.g, let projected = inputs.projected {
                    gN = g + n * cout * p
                    yN = projected + n * kc * p
                } else {
                    project(y, gScratch, xN, parameters, adjacency: state.adjacency, frames: t, joints: v)
                    gN = UnsafePointer(gScratch)
                    yN = UnsafePointer(y)
                }
                BatchNorm.backwardInput(dgN, dgN, gN, mean: state.gcnNorm.mean, invStd: state.gcnNorm.invStd,
                                        weight: parameters.gcnNorm.weight.storage, meanDy: gcnCoefficients.meanDy,
                                        meanDyX: gcnCoefficients.meanDyX, channels: cout, plane: p)
                // dY = einsum backward, dA_n, dW_n = dY·xᵀ, db_n = Σ dY, dx = Wᵀ·dY (+ the residual's dInput).
                state.adjacency.aggregateBackward(dY, dgN, rows: cout * t)
                state.adjacency.valueGradients(vaBase + n * nnz, projected: yN, dOutput: dgN, rows: cout * t)
                GEMM.sgemm(dWeight, dY, xN, m: kc, n: cin, k: p, transposeB: true)
                Kernels.addBiasGradient(gbBase + n * kc, dY, channels: kc, plane: p)
                switch residualKind {
                case .none:
                    GEMM.sgemm(dxN, gwBase, dY, m: cin, n: p, k: kc, transposeA: true)
                case .identity:
                    GEMM.sgemm(dxN, gwBase, dY, m: cin, n: p, k: kc, transposeA: true)
                    let dOut = inputs.dOut + n * cout * q, out = inputs.out + n * cout * q
                    Kernels.reluBackward(dxN, dOut, activation: out, count: cin * p, accumulate: true)
                case .convolution:
                    GEMM.sgemm(gcnDx, gwBase, dY, m: cin, n: p, k: kc, transposeA: true)
                    for i in 0..<cin * p { dxN[i] = gcnDx[i] + dxN[i] }
                }
            } reduce: { slots, range in
                for slot in 0..<slots {
                    let dWeight = scratchBase + slot * phase3 + (phase3 - kc * cin)
                    for i in range { gwTarget[i] += dWeight[i] }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        var dEffective = [Float](repeating: 0, count: pattern.count)
        for n in 0..<s {
            for i in 0..<kc { gradients.gcn.bias.storage[i] += gcnBias[n * kc + i] }
            for i in 0..<nnz { dEffective[state.adjacency.denseIndex[i]] += values[n * nnz + i] }
        }
        // A_eff = A ⊙ importance: dImportance = dA_eff ⊙ A.
        for i in 0..<dEffective.count { gradients.importance.storage[i] += dEffective[i] * pattern.storage[i] }
        workspace.recycleScratch(consume scratch)
        workspace.recycle(consume dH)
        return dInput
    }

    /// Sequence n's residual convolution output before BN: kept, or recomputed into `scratch` (Cout·Q values, then
    /// Cin·Q for the strided subsampling) with the forward's operations.
    private func residualOutput(_ inputs: Inputs, _ n: Int, scratch: UnsafeMutablePointer<Float>, _ parameters: Parameters,
                                frames t: Int, joints v: Int, outFrames tOut: Int) -> UnsafePointer<Float> {
        let cout = gcn.outputChannels, q = tOut * v
        if let r = inputs.residual { return r + n * cout * q }
        residualConvolution(scratch, inputs.x + n * gcn.inputChannels * t * v, parameters, scratch: scratch + cout * q,
                            frames: t, joints: v, outFrames: tOut)
        return UnsafePointer(scratch)
    }

    /// Runs `body(slot, item)` for every item, `threads` items at a time (slot: the item's place in its group), and
    /// after each group `reduce(slots, range)` over chunks of `0..<length` on the threads, which adds the group's
    /// partials in slot order: per-sequence partials are summed in sequence order whatever the thread count, with only
    /// `threads` of them in memory.
    static func inOrderedGroups(_ count: Int, threads: Int, reducing length: Int, _ body: (_ slot: Int, _ item: Int) -> Void,
                                reduce: (_ slots: Int, _ range: Range<Int>) -> Void) {
        let width = max(1, threads)
        var start = 0
        while start < count {
            let group = min(width, count - start)
            Parallel.forEach(group, threads: group) { _, slot in body(slot, start + slot) }
            Parallel.chunks(length, threads: threads, chunk: 1 << 15) { range in reduce(group, range) }
            start += group
        }
    }
}

/// Base pointers of the tensors the fused backward reads, pinned by ``Tensor/withBaseAddresses(_:_:)`` for its duration.
private struct Inputs {
    let x: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>, u: UnsafePointer<Float>
    let g: UnsafePointer<Float>?, projected: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, mask: UnsafePointer<UInt64>?

    /// dPre = dOut where the block's output is positive, else 0 (the final ReLU's backward), for sequence n.
    func preActivation(_ d: UnsafeMutablePointer<Float>, _ n: Int, count: Int) {
        Kernels.reluBackward(d, dOut + n * count, activation: out + n * count, count: count)
    }
}
