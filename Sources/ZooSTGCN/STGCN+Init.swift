import ZooTensor

extension STGCN {
    /// Initialises the weights as MMAction2 0.x does (`STGCN.init_weights`, `STGCNHead.init_weights`), drawing
    /// from `rng` (one substream per tensor, so the result does not depend on visiting order):
    /// - every Conv2d: `kaiming_init` = kaiming normal, mode fan_out, ReLU gain: std = sqrt(2 / (Cout * kernel area)), bias 0;
    /// - every BN (data BN included): weight 1, bias 0 (running stats 0 / 1);
    /// - edge importance: ones;
    /// - head fc (a 1x1 Conv2d): `normal_init(std=0.01)`, bias 0.
    public mutating func initialize(rng: CounterRNG, headStd: Double = 0.01) {
        var tensorIndex: UInt64 = 0
        func normal(_ tensor: inout Tensor, std: Double) {
            let stream = rng.substream(tensorIndex)
            tensorIndex += 1
            for i in 0..<tensor.count { tensor.storage[i] = Float(stream.normal(UInt64(i)) * std) }
        }
        let fresh = STGCN(configuration)
        parameters = fresh.parameters
        buffers = fresh.buffers
        for i in parameters.blocks.indices {
            let gcnOut = parameters.blocks[i].gcn.weight.shape[0]
            normal(&parameters.blocks[i].gcn.weight, std: (2.0 / Double(gcnOut)).squareRoot())
            let temporal = parameters.blocks[i].temporal.weight.shape
            normal(&parameters.blocks[i].temporal.weight, std: (2.0 / Double(temporal[0] * temporal[2])).squareRoot())
            if parameters.blocks[i].residual != nil {
                let residualOut = parameters.blocks[i].residual!.weight.shape[0]
                normal(&parameters.blocks[i].residual!.weight, std: (2.0 / Double(residualOut)).squareRoot())
            }
        }
        normal(&parameters.head.weight, std: headStd)
    }
}
