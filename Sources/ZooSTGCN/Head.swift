// N samples, M persons, S = N*M sequences, C channels, T' frames, V joints, NC classes.
import ZooTensor

/// `STGCNHead` of MMAction2 0.x: average over (T', V) per person, mean over the M persons (zero-padded
/// persons included), then `fc`, a 1x1 Conv2d (NC, C, 1, 1) — a linear map here. Returns raw logits.
public struct Head: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var weight: Tensor  // (NC, C)
        public var bias: Tensor    // (NC)
    }

    public typealias Gradients = Parameters

    public struct Saved: Sendable {
        let features: Tensor  // (N, C) after both means
        let inputShape: [Int] // (S, C, T', V)
    }

    public let persons: Int

    public init(persons: Int) { self.persons = persons }

    /// Pooled features (N, C): mean over T'V per sequence, then over persons.
    public func pool(_ input: Tensor) -> Tensor {
        let s = input.shape[0], c = input.shape[1], p = input.shape[2] * input.shape[3]
        precondition(s % persons == 0, "\(s) sequences is not a multiple of \(persons) persons")
        let n = s / persons
        var features = Tensor(zeros: [n, c])
        input.withUnsafeBufferPointer { x in
            for sample in 0..<n {
                for channel in 0..<c {
                    var total: Float = 0
                    for m in 0..<persons {
                        let row = x.baseAddress! + ((sample * persons + m) * c + channel) * p
                        var sum: Float = 0
                        for i in 0..<p { sum += row[i] }
                        total += sum / Float(p)
                    }
                    features.storage[sample * c + channel] = total / Float(persons)
                }
            }
        }
        return features
    }

    /// - Parameter input: backbone output (S, C, T', V).
    /// - Returns: logits (N, NC).
    public func forward(_ input: Tensor, _ parameters: Parameters) -> (logits: Tensor, saved: Saved) {
        let features = pool(input)
        let n = features.shape[0], c = features.shape[1], classes = parameters.bias.count
        var logits = Tensor(zeros: [n, classes])
        for sample in 0..<n { for k in 0..<classes { logits.storage[sample * classes + k] = parameters.bias.storage[k] } }
        logits.withUnsafeMutableBufferPointer { out in
            features.withUnsafeBufferPointer { f in
                parameters.weight.withUnsafeBufferPointer { w in
                    // logits (N, NC) += features (N, C) · Wᵀ (C, NC)
                    GEMM.sgemm(out.baseAddress!, f.baseAddress!, w.baseAddress!, m: n, n: classes, k: c, transposeB: true, accumulate: true)
                }
            }
        }
        return (logits, Saved(features: features, inputShape: input.shape))
    }

    /// Adds dWeight, dBias and returns dInput (S, C, T', V): each position gets dFeature / (M · T'V).
    public func backward(_ dLogits: Tensor, _ saved: Saved, _ parameters: Parameters, into gradients: inout Gradients) -> Tensor {
        let n = dLogits.shape[0], classes = dLogits.shape[1], c = saved.features.shape[1]
        var dFeatures = Tensor(zeros: [n, c])
        dLogits.withUnsafeBufferPointer { dy in
            saved.features.withUnsafeBufferPointer { f in
                parameters.weight.withUnsafeBufferPointer { w in
                    gradients.weight.withUnsafeMutableBufferPointer { dW in
                        // dW (NC, C) += dYᵀ (NC, N) · features (N, C)
                        GEMM.sgemm(dW.baseAddress!, dy.baseAddress!, f.baseAddress!, m: classes, n: c, k: n, transposeA: true, accumulate: true)
                    }
                    dFeatures.withUnsafeMutableBufferPointer { df in
                        // dFeatures (N, C) = dY (N, NC) · W (NC, C)
                        GEMM.sgemm(df.baseAddress!, dy.baseAddress!, w.baseAddress!, m: n, n: c, k: classes)
                    }
                }
            }
        }
        for sample in 0..<n { for k in 0..<classes { gradients.bias.storage[k] += dLogits.storage[sample * classes + k] } }
        let p = saved.inputShape[2] * saved.inputShape[3]
        let scale = 1 / Float(persons * p)
        return Tensor(uninitialized: saved.inputShape) { dx in
            for sample in 0..<n {
                for m in 0..<persons {
                    for channel in 0..<c {
                        let g = dFeatures.storage[sample * c + channel] * scale
                        (dx.baseAddress! + ((sample * persons + m) * c + channel) * p).update(repeating: g, count: p)
                    }
                }
            }
        }
    }
}
