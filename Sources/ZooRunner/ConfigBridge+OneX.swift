// A 1.x config (ZooConfig ``RecognizerGCNConfig``) mapped onto ZooSTGCN's ``RecognizerGCN`` configuration, refusing
// by name what the networks do not implement (gcn_conv_pos='post', a custom mstcn ms_cfg, tcn_dropout > 0,
// AAGCN attention).
import ZooConfig
import ZooSTGCN

extension RecognizerGCN.Configuration {
    /// `mstcn`'s default `ms_cfg`, the only one the network implements: (3,1), (3,2), (3,3), (3,4), ('max',3), '1x1'.
    static let defaultBranches: [GCNBackboneConfig.MultiScaleBranch] = [
        .convolution(kernel: 3, dilation: 1), .convolution(kernel: 3, dilation: 2), .convolution(kernel: 3, dilation: 3),
        .convolution(kernel: 3, dilation: 4), .maxPool(kernel: 3), .pointwise,
    ]

    /// The model `config.model` describes.
    /// - Throws: ``ModelConfigurationError`` naming the field SkelZoo does not implement.
    public init(_ config: RecognizerGCNConfig) throws(ModelConfigurationError) {
        let b = config.backbone
        guard let mode = GCNGraph.Mode(rawValue: b.graphMode) else {
            throw ModelConfigurationError(field: "backbone.graph_cfg.mode", value: b.graphMode, expected: "stgcn_spatial or spatial")
        }
        guard let dataNorm = DataNormKind(rawValue: b.dataBNType ?? "None") else {
            throw ModelConfigurationError(field: "backbone.data_bn_type", value: b.dataBNType ?? "None", expected: "VC, MVC or None")
        }
        guard b.temporalDropout == 0 else {
            throw ModelConfigurationError(field: "backbone.tcn_dropout", value: "\(b.temporalDropout)", expected: "0 (dropout is not implemented)")
        }
        let backbone: RecognizerGCN.Backbone
        switch b.architecture {
        case .stgcn(let adaptive, let convPosition, let withResidual, let temporal, let channelRatio):
            guard convPosition == "pre" else {
                throw ModelConfigurationError(field: "backbone.gcn_conv_pos", value: convPosition, expected: "pre")
            }
            let tcn: TCNKind
            switch temporal {
            case .unit: tcn = .unit
            case .multiScale(let branches, let mid):
                guard branches == Self.defaultBranches, mid == nil else {
                    throw ModelConfigurationError(field: "backbone.tcn_ms_cfg", value: "\(branches), mid_channels \(mid.map { "\($0)" } ?? "None")",
                                                  expected: "the default ms_cfg [(3,1), (3,2), (3,3), (3,4), ('max',3), '1x1'] with mid_channels None")
                }
                tcn = .multiScale
            }
            let gcnAdaptive: ZooSTGCN.GCNAdaptive = switch adaptive {
            case .importance: .importance
            case .offset: .offset
            case .initial: .initial
            }
            backbone = .stgcn(STGCN1xConfiguration(
                layout: b.layout, graphMode: mode, maxHop: b.maxHop, inChannels: b.inChannels, baseChannels: b.baseChannels, dataNorm: dataNorm,
                channelRatio: channelRatio, numPerson: b.numPerson, numStages: b.numStages, inflateStages: b.inflateStages, downStages: b.downStages,
                gcnAdaptive: gcnAdaptive, gcnWithResidual: withResidual, tcnKind: tcn))
        case .aagcn(let adaptive, let coffEmbedding, let attention):
            backbone = .aagcn(AAGCNConfiguration(
                layout: b.layout, graphMode: mode, maxHop: b.maxHop, inChannels: b.inChannels, baseChannels: b.baseChannels, dataNorm: dataNorm,
                numPerson: b.numPerson, numStages: b.numStages, inflateStages: b.inflateStages, downStages: b.downStages,
                gcnAdaptive: adaptive, gcnAttention: attention, coffEmbedding: coffEmbedding))
        }
        let h = config.head
        let average: GCNHeadConfiguration.AverageClips = switch h.averageClips {
        case "prob": .prob
        case "score": .score
        default: .none
        }
        self.init(backbone: backbone, head: GCNHeadConfiguration(numClasses: h.numClasses, inChannels: h.inChannels, dropout: Float(h.dropout),
                                                                 averageClips: average))
    }
}
