import ZooConfig
import ZooSTGCN

extension STGCNConfiguration {
    /// The model a config describes. Layout and strategy were validated when the config was read.
    public init(_ model: ModelConfig) {
        guard let layout = SkeletonLayout.named(model.layout) else { preconditionFailure("config reader admits only known layouts") }
        self.init(inChannels: model.inChannels, layout: layout, strategy: model.strategy, maxHop: model.maxHop,
                  dilation: model.dilation, channels: model.channels, strides: model.strides,
                  edgeImportanceWeighting: model.edgeImportanceWeighting, dataBN: model.dataBN,
                  dropout: Float(model.dropout), numClasses: model.numClasses, numPerson: model.numPerson)
    }
}

extension Loss {
    /// The loss a config's `loss_cls` describes, with CBFocalLoss's class weights computed as MMAction2 does.
    public init(_ config: LossConfig) {
        switch config {
        case .crossEntropy(let weight):
            self = .crossEntropy(lossWeight: Float(weight))
        case .cbFocal(let weight, let beta, let gamma, let counts):
            self = .cbFocal(lossWeight: Float(weight), classWeights: Loss.classBalancedWeights(samplesPerClass: counts, beta: beta), gamma: Float(gamma))
        }
    }
}
