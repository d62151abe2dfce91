// N samples, NC classes.
import ZooTensor

/// The classification losses of MMAction2 0.x (`mmaction/models/losses/cross_entropy_loss.py`), forward and
/// backward with respect to the logits.
///
/// Arithmetic: plain Float operations in the order written (no fma), exp/log from ``PortableMath``; sums run
/// over classes, then samples, in index order.
public enum Loss: Sendable, Equatable {
    /// `F.cross_entropy(logits, label)` (mean over the batch) times `lossWeight`.
    case crossEntropy(lossWeight: Float)
    /// `CBFocalLoss(samples_per_cls, beta, gamma)` times `lossWeight`; class weights computed in Double as numpy does.
    case cbFocal(lossWeight: Float, classWeights: [Float], gamma: Float)

    /// Class-balanced weights: w_c = (1 - β) / (1 - β^n_c), normalised to sum to C (numpy float64, then float32).
    public static func classBalancedWeights(samplesPerClass: [Int], beta: Double) -> [Float] {
        let raw = samplesPerClass.map { (1 - beta) / (1 - PortableMath.pow(beta, Double($0))) }
        let total = raw.reduce(0, +)
        return raw.map { Float($0 / total * Double(raw.count)) }
    }

    /// - Parameters:
    ///   - logits: (N, NC).
    ///   - labels: N class indices.
    /// - Returns: the loss and dLoss/dLogits (N, NC).
    public func forward(_ logits: Tensor, labels: [Int]) -> (loss: Float, dLogits: Tensor) {
        let n = logits.shape[0], classes = logits.shape[1]
        precondition(labels.count == n, "one label per sample")
        var dLogits = Tensor(zeros: logits.shape)
        switch self {
        case .crossEntropy(let weight):
            // loss_n = logsumexp(z_n) - z_n[y_n]; d/dz = softmax(z_n) - onehot(y_n), all over N.
            var total: Float = 0
            for sample in 0..<n {
                let row = Array(logits.storage[sample * classes..<(sample + 1) * classes])
                let peak = row.max() ?? 0
                var sum: Float = 0
                for z in row { sum += PortableMath.exp(z - peak) }
                let logSum = PortableMath.log(sum) + peak
                total += logSum - row[labels[sample]]
                for k in 0..<classes {
                    let p = PortableMath.exp(row[k] - logSum)
                    dLogits.storage[sample * classes + k] = (p - (k == labels[sample] ? 1 : 0)) * weight / Float(n)
                }
            }
            return (total / Float(n) * weight, dLogits)
        case .cbFocal(let weight, let classWeights, let gamma):
            // Per element, y ∈ {0,1}, s = σ(z), w = weight of the sample's class:
            //   B = max(z,0) − z·y + log(1 + e^−|z|)      (BCE with logits)
            //   m = exp(−γ·y·z − γ·log(1 + e^−z))         (modulator, as written upstream)
            //   L = Σ w·m·B / Σ y = Σ w·m·B / N
            //   dB/dz = s − y;  dm/dz = γ·m·(1 − s − y);  dL/dz = w·(dm/dz·B + m·(s − y)) / N
            var total: Float = 0
            for sample in 0..<n {
                let w = classWeights[labels[sample]]
                for k in 0..<classes {
                    let z = logits.storage[sample * classes + k]
                    let y: Float = k == labels[sample] ? 1 : 0
                    let bce = max(z, 0) - z * y + PortableMath.log1p(PortableMath.exp(-abs(z)))
                    let modulator = PortableMath.exp(-gamma * y * z - gamma * PortableMath.log(1 + PortableMath.exp(-z)))
                    let s = 1 / (1 + PortableMath.exp(-z))
                    total += w * modulator * bce
                    let dModulator = gamma * modulator * (1 - s - y)
                    dLogits.storage[sample * classes + k] = w * (dModulator * bce + modulator * (s - y)) / Float(n) * weight
                }
            }
            return (total / Float(n) * weight, dLogits)
        }
    }
}
