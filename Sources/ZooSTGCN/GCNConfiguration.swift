// The shapes of MMAction2 1.x's skeleton models (`RecognizerGCN` = backbone + `GCNHead`): what a 1.x config's
// `model=dict(...)` says, with the Python defaults as Swift defaults. ZooConfig maps YAML onto these; a value
// SkelZoo does not implement is a ``ModelConfigurationError`` naming the field, never a trap.

/// A model configuration value that SkelZoo cannot build (or MMAction2 would refuse).
public struct ModelConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The config field as MMAction2 spells it (`backbone.gcn_attention`, `cls_head.average_clips`, `inputs`).
    public var field: String
    public var value: String
    public var expected: String

    public init(field: String, value: String, expected: String) {
        self.field = field
        self.value = value
        self.expected = expected
    }

    public var description: String { "model: \(field) = \(value) is not supported; expected \(expected)" }
}

/// `data_bn_type`: BatchNorm1d over V·C channels per person (`VC`), over M·V·C channels (`MVC`), or none.
public enum DataNormKind: String, Sendable, CaseIterable {
    case vc = "VC"
    case mvc = "MVC"
    case none = "None"
}

/// `gcn_adaptive` of `unit_gcn`: how the learned graph combines with A.
public enum GCNAdaptive: String, Sendable, CaseIterable {
    /// A ⊙ PA, PA initialised to ones (ST-GCN).
    case importance
    /// A + PA, PA initialised near zero.
    case offset
    /// A itself is a parameter, initialised to the graph (ST-GCN++).
    case initial = "init"
    /// A fixed.
    case none = "None"
}

/// `tcn_type` of `STGCNBlock`.
public enum TCNKind: String, Sendable, CaseIterable {
    /// `unit_tcn`: conv 9x1 + BN.
    case unit = "unit_tcn"
    /// `mstcn`: the multi-scale temporal convolution of ST-GCN++.
    case multiScale = "mstcn"
}

/// One block's channels and stride, as the backbone's constructor lays them out.
public struct BlockShape: Sendable, Equatable {
    public var inputChannels: Int
    public var outputChannels: Int
    public var stride: Int
    public var residual: ResidualKind
}

/// `STGCN` backbone of MMAction2 1.x (`mmaction/models/backbones/stgcn.py`); ST-GCN++ is this backbone with
/// `gcn_adaptive='init'`, `gcn_with_res=True`, `tcn_type='mstcn'`. Not implemented: `gcn_conv_pos='post'`,
/// per-stage (list-valued) kwargs, `tcn_dropout` > 0 and a custom `tcn_ms_cfg` (the config keys are refused by name).
public struct STGCN1xConfiguration: Sendable, Equatable {
    /// `graph_cfg.layout`: `coco`, `nturgb+d` or `openpose`.
    public var layout: String
    /// `graph_cfg.mode` (Python default `spatial`; the ST-GCN configs say `stgcn_spatial`).
    public var graphMode: GCNGraph.Mode
    public var maxHop: Int
    public var inChannels: Int
    public var baseChannels: Int
    public var dataNorm: DataNormKind
    public var channelRatio: Int
    /// Persons per clip; the size of the `MVC` data BN.
    public var numPerson: Int
    public var numStages: Int
    public var inflateStages: [Int]
    public var downStages: [Int]
    public var gcnAdaptive: GCNAdaptive
    public var gcnWithResidual: Bool
    public var tcnKind: TCNKind

    public init(layout: String = "coco", graphMode: GCNGraph.Mode = .spatial, maxHop: Int = 1, inChannels: Int = 3,
                baseChannels: Int = 64, dataNorm: DataNormKind = .vc, channelRatio: Int = 2, numPerson: Int = 2,
                numStages: Int = 10, inflateStages: [Int] = [5, 8], downStages: [Int] = [5, 8],
                gcnAdaptive: GCNAdaptive = .importance, gcnWithResidual: Bool = false, tcnKind: TCNKind = .unit) {
        self.layout = layout
        self.graphMode = graphMode
        self.maxHop = maxHop
        self.inChannels = inChannels
        self.baseChannels = baseChannels
        self.dataNorm = dataNorm
        self.channelRatio = channelRatio
        self.numPerson = numPerson
        self.numStages = numStages
        self.inflateStages = inflateStages
        self.downStages = downStages
        self.gcnAdaptive = gcnAdaptive
        self.gcnWithResidual = gcnWithResidual
        self.tcnKind = tcnKind
    }

    /// The blocks `STGCN.__init__` builds (see ``GCNBackboneConfiguration/stageBlocks(channelRatio:)``).
    public var blocks: [BlockShape] { stageBlocks(channelRatio: channelRatio) }

    /// Channels of the backbone's output.
    public var outputChannels: Int { blocks.last?.outputChannels ?? inChannels }

    public func validate() throws(ModelConfigurationError) {
        try validateStages()
        guard channelRatio >= 1 else { throw ModelConfigurationError(field: "backbone.ch_ratio", value: "\(channelRatio)", expected: "an integer >= 1") }
    }
}

/// `AAGCN` backbone of MMAction2 1.x (`mmaction/models/backbones/aagcn.py`) without its attention module, i.e.
/// 2s-AGCN: `gcn_attention=True` (the Python default) is refused with a ``ModelConfigurationError``.
public struct AAGCNConfiguration: Sendable, Equatable {
    public var layout: String
    public var graphMode: GCNGraph.Mode
    public var maxHop: Int
    public var inChannels: Int
    public var baseChannels: Int
    public var dataNorm: DataNormKind
    public var numPerson: Int
    public var numStages: Int
    public var inflateStages: [Int]
    public var downStages: [Int]
    /// `gcn_adaptive`: the embedded adaptive graph (conv_a, conv_b, alpha) on top of a learned A.
    public var gcnAdaptive: Bool
    /// `gcn_attention`: only `false` is implemented.
    public var gcnAttention: Bool
    /// `gcn_coff_embedding`: embedding channels = out_channels / this.
    public var coffEmbedding: Int

    public init(layout: String = "coco", graphMode: GCNGraph.Mode = .spatial, maxHop: Int = 1, inChannels: Int = 3,
                baseChannels: Int = 64, dataNorm: DataNormKind = .mvc, numPerson: Int = 2, numStages: Int = 10,
                inflateStages: [Int] = [5, 8], downStages: [Int] = [5, 8], gcnAdaptive: Bool = true,
                gcnAttention: Bool = true, coffEmbedding: Int = 4) {
        self.layout = layout
        self.graphMode = graphMode
        self.maxHop = maxHop
        self.inChannels = inChannels
        self.baseChannels = baseChannels
        self.dataNorm = dataNorm
        self.numPerson = numPerson
        self.numStages = numStages
        self.inflateStages = inflateStages
        self.downStages = downStages
        self.gcnAdaptive = gcnAdaptive
        self.gcnAttention = gcnAttention
        self.coffEmbedding = coffEmbedding
    }

    /// The blocks `AAGCN.__init__` builds: channels double (not ch_ratio) in `inflate_stages`.
    public var blocks: [BlockShape] { stageBlocks(channelRatio: 2) }

    public var outputChannels: Int { blocks.last?.outputChannels ?? inChannels }

    public func validate() throws(ModelConfigurationError) {
        guard !gcnAttention else {
            throw ModelConfigurationError(field: "backbone.gcn_attention", value: "True",
                                          expected: "False (SkelZoo implements AAGCN without its STC attention module, as the 2s-AGCN configs use it)")
        }
        try validateStages()
        guard coffEmbedding >= 1, baseChannels / coffEmbedding >= 1 else {
            throw ModelConfigurationError(field: "backbone.gcn_coff_embedding", value: "\(coffEmbedding)", expected: "an integer in 1...base_channels")
        }
    }
}

/// `GCNHead` of MMAction2 1.x: average pool over (T, V) per person, mean over persons, dropout, `fc`.
public struct GCNHeadConfiguration: Sendable, Equatable {
    /// `average_clips` of `BaseHead.average_clip`.
    public enum AverageClips: String, Sendable, CaseIterable {
        /// Mean of each clip's softmax (the GCNHead default).
        case prob
        /// Mean of the raw logits.
        case score
        /// Mean of the raw logits as well (`None`: no softmax).
        case none = "None"
    }

    public var numClasses: Int
    public var inChannels: Int
    /// Training-time dropout before `fc` (identity in eval).
    public var dropout: Float
    public var averageClips: AverageClips

    public init(numClasses: Int, inChannels: Int = 256, dropout: Float = 0, averageClips: AverageClips = .prob) {
        self.numClasses = numClasses
        self.inChannels = inChannels
        self.dropout = dropout
        self.averageClips = averageClips
    }
}

/// What the 1.x backbone configurations share: the graph, the data BN and the stage layout.
protocol GCNBackboneConfiguration {
    var layout: String { get }
    var graphMode: GCNGraph.Mode { get }
    var maxHop: Int { get }
    var inChannels: Int { get }
    var baseChannels: Int { get }
    var dataNorm: DataNormKind { get }
    var numPerson: Int { get }
    var numStages: Int { get }
    var inflateStages: [Int] { get }
    var downStages: [Int] { get }
    /// The blocks the backbone's `__init__` builds.
    var blocks: [BlockShape] { get }
    func validate() throws(ModelConfigurationError)
}

extension STGCN1xConfiguration: GCNBackboneConfiguration {}
extension AAGCNConfiguration: GCNBackboneConfiguration {}

extension GCNBackboneConfiguration {
    /// The blocks `STGCN.__init__` and `AAGCN.__init__` build: a first block without residual when in_channels !=
    /// base_channels, then stages 2...num_stages, stride 2 in `down_stages`, channels `base·ratio^inflations` with
    /// one inflation per stage in `inflate_stages` (STGCN: `int(base·ch_ratio**inflations + 1e-4)`; AAGCN doubles).
    func stageBlocks(channelRatio: Int) -> [BlockShape] {
        var result: [BlockShape] = []
        if inChannels != baseChannels {
            result.append(BlockShape(inputChannels: inChannels, outputChannels: baseChannels, stride: 1, residual: .none))
        }
        guard numStages >= 2 else { return result }
        var current = baseChannels, inflations = 0
        for stage in 2...numStages {
            let stride = downStages.contains(stage) ? 2 : 1
            if inflateStages.contains(stage) { inflations += 1 }
            var out = baseChannels
            for _ in 0..<inflations { out *= channelRatio }
            result.append(BlockShape(inputChannels: current, outputChannels: out, stride: stride,
                                     residual: current == out && stride == 1 ? .identity : .convolution))
            current = out
        }
        return result
    }

    /// The graph `graph_cfg` describes. - Throws: ``ModelConfigurationError`` for an unknown layout or mode.
    func makeGraph() throws(ModelConfigurationError) -> GCNGraph {
        try GCNGraph(layout: layout, mode: graphMode, maxHop: maxHop)
    }

    /// The graph and the `backbone.*` sizes every 1.x backbone needs.
    func validateStages() throws(ModelConfigurationError) {
        _ = try makeGraph()
        guard inChannels >= 1 else { throw ModelConfigurationError(field: "backbone.in_channels", value: "\(inChannels)", expected: "an integer >= 1") }
        guard baseChannels >= 1 else { throw ModelConfigurationError(field: "backbone.base_channels", value: "\(baseChannels)", expected: "an integer >= 1") }
        guard numStages >= 1 else { throw ModelConfigurationError(field: "backbone.num_stages", value: "\(numStages)", expected: "an integer >= 1") }
        guard numPerson >= 1 else { throw ModelConfigurationError(field: "backbone.num_person", value: "\(numPerson)", expected: "an integer >= 1") }
    }

    /// Validates, then builds the graph, the data BN and one block per ``BlockShape`` with `makeBlock`.
    func makeLayers<Block>(_ makeBlock: (BlockShape, GCNGraph) -> Block) throws(ModelConfigurationError)
        -> (graph: GCNGraph, dataNorm: DataNorm, blocks: [Block]) {
        try validate()
        let graph = try makeGraph()
        let dataNorm = DataNorm(kind: dataNorm, persons: numPerson, joints: graph.jointCount, coordinates: inChannels)
        return (graph, dataNorm, blocks.map { makeBlock($0, graph) })
    }
}
