// S sequences, Cin/Cout channels, T frames, V joints, K spatial partitions, P = T*V.
import ZooTensor

/// The spatial graph convolution `ConvTemporalGraphical` of MMAction2 0.x:
/// a 1x1 convolution to K*Cout channels (k-major: channel k*Cout + c belongs to partition k), then
/// `einsum('nkctv,kvw->nctw', x, A_eff)` with A_eff = A ⊙ edge_importance.
///
/// The einsum runs as a sparse kernel over A's non-zeros (about 3 per column): a dense GEMM with inner
/// size V = 17 or 25 is a poor fit for BLAS, and A's zeros stay zero under the importance weighting.
public struct GraphConv: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var weight: Tensor  // (K*Cout, Cin)
        public var bias: Tensor    // (K*Cout)
    }

    public typealias Gradients = Parameters

    /// What `forward` keeps for `backward`.
    public struct Saved: Sendable {
        let input: Tensor     // (S, Cin, T, V)
        let projected: Tensor // (S, K*Cout, T, V), the 1x1 conv output
    }

    public let inputChannels: Int
    public let outputChannels: Int
    public let partitions: Int

    public init(inputChannels: Int, outputChannels: Int, partitions: Int) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.partitions = partitions
    }

    /// - Parameters:
    ///   - input: (S, Cin, T, V).
    ///   - adjacency: sparse A_eff (K, V, V).
    /// - Returns: (S, Cout, T, V) and the saved state (nil unless `saving`).
    public func forward(_ input: Tensor, _ parameters: Parameters, adjacency: SparseAdjacency,
                        saving: Bool, threads: Int) -> (output: Tensor, saved: Saved?) {
        let s = input.shape[0], t = input.shape[2], v = input.shape[3], p = t * v
        let kc = partitions * outputChannels
        precondition(input.shape[1] == inputChannels && v == adjacency.joints, "GraphConv input \(input.shape)")
        var projected = saving ? Tensor(zeros: [s, kc, t, v]) : Tensor(zeros: [0])
        let output = Tensor(uninitialized: [s, outputChannels, t, v]) { out in
            input.withUnsafeBufferPointer { x in
                parameters.weight.withUnsafeBufferPointer { w in
                    parameters.bias.withUnsafeBufferPointer { b in
                        projected.withUnsafeMutableBufferPointer { keep in
                            let outBase = out.baseAddress!, xBase = x.baseAddress!, keepBase = keep.baseAddress
                            Parallel.forEach(s, threads: threads, scratch: { [Float](repeating: 0, count: saving ? 0 : kc * p) }) { scratch, n in
                                scratch.withUnsafeMutableBufferPointer { scratch in
                                    let y = saving ? keepBase! + n * kc * p : scratch.baseAddress!
                                    // y (K*Cout, P) = W (K*Cout, Cin) · x (Cin, P) + b
                                    GEMM.sgemm(y, w.baseAddress!, xBase + n * inputChannels * p, m: kc, n: p, k: inputChannels)
                                    Kernels.addBias(y, b.baseAddress!, channels: kc, plane: p)
                                    adjacency.aggregate(outBase + n * outputChannels * p, y, rows: outputChannels * t)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, saving ? Saved(input: input, projected: projected) : nil)
    }

    /// Adds dWeight, dBias and dA_eff (dense (K, V, V), non-zero only where A is) and returns dInput.
    ///
    /// dY[k*Cout+c, t, v] = Σ_w A_eff[k,v,w]·dZ[c,t,w]; dA_eff[k,v,w] = Σ_{c,t} Y[k*Cout+c,t,v]·dZ[c,t,w];
    /// dW = Σ_n dY·xᵀ; db = Σ dY; dx = Wᵀ·dY.
    public func backward(_ dOutput: Tensor, _ saved: Saved, _ parameters: Parameters, adjacency: SparseAdjacency,
                         into gradients: inout Gradients, dAdjacency: inout [Float], threads: Int) -> Tensor {
        let s = dOutput.shape[0], t = dOutput.shape[2], v = dOutput.shape[3], p = t * v
        let kc = partitions * outputChannels, cin = inputChannels
        let nnz = adjacency.values.count
        // Per-sequence partial gradients, reduced below in sequence order (thread-count independent).
        var dWeights = [Float](repeating: 0, count: s * kc * cin)
        var dBiases = [Float](repeating: 0, count: s * kc)
        var dValues = [Float](repeating: 0, count: s * nnz)
        let dInput = Tensor(uninitialized: [s, cin, t, v]) { dx in
            dOutput.withUnsafeBufferPointer { dz in
                saved.input.withUnsafeBufferPointer { x in
                    saved.projected.withUnsafeBufferPointer { y in
                        parameters.weight.withUnsafeBufferPointer { w in
                            dWeights.withUnsafeMutableBufferPointer { dW in
                                dBiases.withUnsafeMutableBufferPointer { dB in
                                    dValues.withUnsafeMutableBufferPointer { dA in
                                        let dxBase = dx.baseAddress!, dzBase = dz.baseAddress!, xBase = x.baseAddress!, yBase = y.baseAddress!
                                        let dWBase = dW.baseAddress!, dBBase = dB.baseAddress!, dABase = dA.baseAddress!
                                        Parallel.forEach(s, threads: threads, scratch: { [Float](repeating: 0, count: kc * p) }) { scratch, n in
                                            scratch.withUnsafeMutableBufferPointer { dy in
                                                let dyBase = dy.baseAddress!
                                                let dzN = dzBase + n * outputChannels * p
                                                adjacency.aggregateBackward(dyBase, dzN, rows: outputChannels * t)
                                                adjacency.valueGradients(dABase + n * nnz, projected: yBase + n * kc * p, dOutput: dzN,
                                                                         rows: outputChannels * t)
                                                // dW_n (K*Cout, Cin) = dY (K*Cout, P) · xᵀ (P, Cin)
                                                GEMM.sgemm(dWBase + n * kc * cin, dyBase, xBase + n * cin * p, m: kc, n: cin, k: p, transposeB: true)
                                                Kernels.addBiasGradient(dBBase + n * kc, dyBase, channels: kc, plane: p)
                                                // dx (Cin, P) = Wᵀ (Cin, K*Cout) · dY (K*Cout, P)
                                                GEMM.sgemm(dxBase + n * cin * p, w.baseAddress!, dyBase, m: cin, n: p, k: kc, transposeA: true)
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
        for n in 0..<s {
            for i in 0..<kc * cin { gradients.weight.storage[i] += dWeights[n * kc * cin + i] }
            for i in 0..<kc { gradients.bias.storage[i] += dBiases[n * kc + i] }
            for i in 0..<nnz { dAdjacency[adjacency.denseIndex[i]] += dValues[n * nnz + i] }
        }
        return dInput
    }
}

/// A_eff (K, V, V) stored by its non-zeros, grouped by target column w for the forward einsum
/// `z[c,t,w] = Σ_k Σ_v y[k,c,t,v]·A[k,v,w]`.
public struct SparseAdjacency: Sendable {
    public let partitions: Int
    public let joints: Int
    /// Non-zero values, ordered by target joint w, then k, then v.
    public let values: [Float]
    /// For each non-zero: its partition k, source v and target w.
    let partition: [Int]
    let source: [Int]
    let target: [Int]
    /// Index of each non-zero in the dense (K, V, V) array.
    public let denseIndex: [Int]
    /// `start[w]..<start[w+1]` are the non-zeros of column w.
    let start: [Int]

    /// Takes the non-zero pattern of `pattern` (the graph's A) and the values of `effective` (A ⊙ importance).
    public init(pattern: [Float], effective: [Float], partitions: Int, joints: Int) {
        self.partitions = partitions
        self.joints = joints
        var values: [Float] = [], partition: [Int] = [], source: [Int] = [], target: [Int] = [], dense: [Int] = []
        var start: [Int] = []
        for w in 0..<joints {
            start.append(values.count)
            for k in 0..<partitions {
                for v in 0..<joints where pattern[(k * joints + v) * joints + w] != 0 {
                    let index = (k * joints + v) * joints + w
                    values.append(effective[index])
                    partition.append(k)
                    source.append(v)
                    target.append(w)
                    dense.append(index)
                }
            }
        }
        start.append(values.count)
        self.values = values
        self.partition = partition
        self.source = source
        self.target = target
        self.denseIndex = dense
        self.start = start
    }

    /// `out[r, w] = Σ_{(k,v)} y[k, r, v]·A[k,v,w]` for r in 0..<rows (rows = Cout*T, y is (K, rows, V)).
    /// Arithmetic (portable-1): from 0, a rounded multiply then a rounded add per non-zero, in the order of
    /// `values` (w, then k, then v); no fma, by choice, so the sparse sum needs no ISA-specific code.
    ///
    /// One pass over the non-zeros per four rows, without a branch on where a column's terms end: each term adds into
    /// a running sum that its column's first term restarts at +0 (by a bit mask), and every partial sum is stored, so
    /// the column's last term leaves the full sum. Four rows at a time give four independent chains.
    func aggregate(_ output: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Int) {
        let v = joints, nnz = values.count
        let offsets = elementOffsets(blockStride: rows * v)
        let restart = (0..<nnz).map { start.contains($0) ? UInt32(0) : UInt32.max }
        let empty = (0..<v).filter { start[$0] == start[$0 + 1] }
        values.withUnsafeBufferPointer { values in
            offsets.withUnsafeBufferPointer { offsets in
                target.withUnsafeBufferPointer { target in
                    restart.withUnsafeBufferPointer { keep in
                        var r = 0
                        while r < rows {
                            let inRow = y + r * v, outRow = output + r * v
                            if r + 4 <= rows {
                                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                                for i in 0..<nnz {
                                    let o = offsets[i], a = values[i], mask = keep[i], w = target[i]
                                    s0 = Float(bitPattern: s0.bitPattern & mask) + inRow[o] * a
                                    s1 = Float(bitPattern: s1.bitPattern & mask) + inRow[o + v] * a
                                    s2 = Float(bitPattern: s2.bitPattern & mask) + inRow[o + 2 * v] * a
                                    s3 = Float(bitPattern: s3.bitPattern & mask) + inRow[o + 3 * v] * a
                                    outRow[w] = s0
                                    outRow[v + w] = s1
                                    outRow[2 * v + w] = s2
                                    outRow[3 * v + w] = s3
                                }
                                for w in empty { for row in 0..<4 { outRow[row * v + w] = 0 } }
                                r += 4
                            } else {
                                var sum: Float = 0
                                for i in 0..<nnz {
                                    sum = Float(bitPattern: sum.bitPattern & keep[i]) + inRow[offsets[i]] * values[i]
                                    outRow[target[i]] = sum
                                }
                                for w in empty { outRow[w] = 0 }
                                r += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// `dy[k, r, v] = Σ_w A[k,v,w]·dz[r, w]` (dy fully written).
    func aggregateBackward(_ dy: UnsafeMutablePointer<Float>, _ dz: UnsafePointer<Float>, rows: Int) {
        let v = joints, blockStride = rows * v, nnz = values.count
        let offsets = elementOffsets(blockStride: blockStride)
        dy.update(repeating: 0, count: partitions * blockStride)
        values.withUnsafeBufferPointer { values in
            offsets.withUnsafeBufferPointer { offsets in
                target.withUnsafeBufferPointer { target in
                    for r in 0..<rows {
                        let dzRow = dz + r * v, dyRow = dy + r * v
                        for i in 0..<nnz { dyRow[offsets[i]] += values[i] * dzRow[target[i]] }
                    }
                }
            }
        }
    }

    /// `dA[i] += Σ_r y[k_i, r, v_i]·dz[r, w_i]` for each non-zero i (accumulated in Double, row order).
    func valueGradients(_ dA: UnsafeMutablePointer<Float>, projected y: UnsafePointer<Float>, dOutput dz: UnsafePointer<Float>, rows: Int) {
        let v = joints, blockStride = rows * v, nnz = values.count
        let offsets = elementOffsets(blockStride: blockStride)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: nnz) { sums in
            let sums = sums.baseAddress!
            sums.initialize(repeating: 0, count: nnz)
            offsets.withUnsafeBufferPointer { offsets in
                target.withUnsafeBufferPointer { target in
                    for r in 0..<rows {
                        let dzRow = dz + r * v, yRow = y + r * v
                        for i in 0..<nnz { sums[i] += Double(yRow[offsets[i]] * dzRow[target[i]]) }
                    }
                }
            }
            for i in 0..<nnz { dA[i] += Float(sums[i]) }
        }
    }

    /// Each non-zero's offset k·rows·V + v from a row of y (K, rows, V): the element it reads or writes.
    private func elementOffsets(blockStride: Int) -> [Int] { zip(partition, source).map { $0 * blockStride + $1 } }
}
