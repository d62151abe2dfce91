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
        var permuted = Tensor(uninitialized: [n * m, v * c, t]) { out in
            input.withUnsafeBufferPointer { x in
                for sequence in 0..<n * m {
                    for frame in 0..<t {
                        for joint in 0..<v {
                            for coordinate in 0..<c {
                                out[((sequence * v + joint) * c + coordinate) * t + frame] = x[((sequence * t + frame) * v + joint) * c + coordinate]
                            }
                        }
                    }
                }
            }
        }
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
        let output = Tensor(uninitialized: [n * m, c, t, v]) { out in
            permuted.withUnsafeBufferPointer { p in
                for sequence in 0..<n * m {
                    for joint in 0..<v {
                        for coordinate in 0..<c {
                            for frame in 0..<t {
                                out[((sequence * c + coordinate) * t + frame) * v + joint] = p[((sequence * v + joint) * c + coordinate) * t + frame]
                            }
                        }
                    }
                }
            }
        }
        return (output, saved)
    }

    /// Adds the data BN's dWeight and dBias for dOutput (S, C, T, V); the input gradient is not needed.
    public func backward(_ dOutput: Tensor, _ saved: BatchNorm.Saved?, _ parameters: BatchNorm.Parameters?,
                         into gradients: inout BatchNorm.Parameters?, threads: Int) {
        guard let saved, let parameters, var normGradients = gradients else { return }
        let s = dOutput.shape[0], c = dOutput.shape[1], t = dOutput.shape[2], v = dOutput.shape[3]
        let permuted = Tensor(uninitialized: kind == .mvc ? [s / persons, persons * v * c, t] : [s, v * c, t]) { out in
            dOutput.withUnsafeBufferPointer { d in
                for sequence in 0..<s {
                    for joint in 0..<v {
                        for coordinate in 0..<c {
                            for frame in 0..<t {
                                out[((sequence * v + joint) * c + coordinate) * t + frame] = d[((sequence * c + coordinate) * t + frame) * v + joint]
                            }
                        }
                    }
                }
            }
        }
        _ = BatchNorm.backward(permuted, saved, parameters, into: &normGradients, threads: threads)
        gradients = normGradients
    }
}
