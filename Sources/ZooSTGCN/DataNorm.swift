// N clips, M persons, T frames, V joints, C coordinates, S = N*M sequences.
import ZooTensor

/// The input layer of MMAction2 1.x's `STGCN` and `AAGCN` backbones:
///
///     x (N, M, T, V, C) → permute (N, M, V, C, T) → data_bn: BatchNorm1d over V·C (`VC`, per person: (N·M, V·C, T))
///     or M·V·C (`MVC`: (N, M·V·C, T)) channels → (N·M, C, T, V)
public struct DataNorm: Sendable {
    public let kind: DataNormKind
    public let persons: Int
    public let joints: Int
    public let coordinates: Int

    public init(kind: DataNormKind, persons: Int, joints: Int, coordinates: Int) {
        self.kind = kind
        self.persons = persons
        self.joints = joints
        self.coordinates = coordinates
    }

    /// BatchNorm1d channels (0 for `None`).
    public var channels: Int {
        switch kind {
        case .vc: joints * coordinates
        case .mvc: persons * joints * coordinates
        case .none: 0
        }
    }

    public func makeParameters() -> BatchNorm.Parameters? { kind == .none ? nil : .init(channels: channels) }
    public func makeBuffers() -> BatchNorm.Buffers? { kind == .none ? nil : .init(channels: channels) }

    /// - Parameter input: (N, M, T, V, C). - Returns: (S, C, T, V) and, in training, the BN's saved state.
    public func forward(_ input: Tensor, _ parameters: BatchNorm.Parameters?, _ buffers: inout BatchNorm.Buffers?,
                        training: Bool, threads: Int) -> (output: Tensor, saved: BatchNorm.Saved?) {
        let n = input.shape[0], m = input.shape[1], t = input.shape[2], v = input.shape[3], c = input.shape[4]
        // (N, M, T, V, C) -> (N, M, V, C, T): rows of T, one per (n, m, v, c).
        var permuted = Self.transposed(input, matrices: n * m, rows: t, columns: v * c, shape: [n * m, v * c, t])
        var saved: BatchNorm.Saved?
        if let parameters, var normBuffers = buffers {
            // VC: (N·M, V·C, T); MVC: (N, M·V·C, T) — the same memory, viewed differently.
            let view = kind == .mvc ? [n, m * v * c, t] : [n * m, v * c, t]
            let result = BatchNorm.forward(permuted.reshaped(view), parameters, &normBuffers, training: training, threads: threads)
            buffers = normBuffers
            permuted = result.output.reshaped([n * m, v * c, t])
            saved = result.saved
        }
        // (S, V, C, T) -> (S, C, T, V)
        let output = Self.transposed(permuted, matrices: n * m, rows: v, columns: c * t, shape: [n * m, c, t, v])
        return (output, saved)
    }

    /// Adds the data BN's dWeight and dBias for dOutput (S, C, T, V); the input gradient is not needed.
    public func backward(_ dOutput: Tensor, _ saved: BatchNorm.Saved?, _ parameters: BatchNorm.Parameters?,
                         into gradients: inout BatchNorm.Parameters?, threads: Int) {
        guard let saved, let parameters, var normGradients = gradients else { return }
        let s = dOutput.shape[0], c = dOutput.shape[1], t = dOutput.shape[2], v = dOutput.shape[3]
        // (S, C, T, V) -> (S, V, C, T), viewed as the forward's BN input.
        let permuted = Self.transposed(dOutput, matrices: s, rows: c * t, columns: v, shape: kind == .mvc ? [s / persons, persons * v * c, t] : [s, v * c, t])
        _ = BatchNorm.backward(permuted, saved, parameters, into: &normGradients, threads: threads)
        gradients = normGradients
    }

    /// Each of `matrices` (rows, columns) matrices of `x` transposed to (columns, rows), as a tensor of `shape`.
    /// Values are moved, none computed: the data BN's permutes are all of this form.
    static func transposed(_ x: Tensor, matrices: Int, rows: Int, columns: Int, shape: [Int]) -> Tensor {
        Tensor(uninitialized: shape) { out in
            x.withUnsafeBufferPointer { x in
                for matrix in 0..<matrices {
                    for row in 0..<rows {
                        for column in 0..<columns {
                            out[(matrix * columns + column) * rows + row] = x[(matrix * rows + row) * columns + column]
                        }
                    }
                }
            }
        }
    }
}
