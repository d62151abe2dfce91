// The zoo: OpenMMLab metafile-shaped YAML (`Collections`, `Models`) plus SkelZoo's additions.
import Foundation

/// A published number, kept as the string it was published as ("33.00"), with its source.
public struct PublishedScore: Sendable, Equatable, Codable {
    public var dataset: String
    public var metric: String
    public var value: String
    public var source: String
    public var footnote: String?

    public init(dataset: String, metric: String, value: String, source: String, footnote: String? = nil) {
        self.dataset = dataset
        self.metric = metric
        self.value = value
        self.source = source
        self.footnote = footnote
    }
}

public struct ZooCollection: Sendable, Equatable, Codable {
    public var name: String
    public var paperTitle: String?
    public var paperURL: String?
    public var source: String?
}

/// A reference run recorded in the zoo (demo entries): what a rerun must reproduce bit for bit.
public struct ReferenceRun: Sendable, Equatable, Codable {
    public var seed: Int
    public var weightsSHA256: String
    /// The arithmetic that made it: `portable-1` (the same bits on any CPU), or `openblas/<core>` for a run on
    /// OpenBLAS (a zoo file that gives only `BLAS Core: X` means `openblas/X`).
    public var arithmetic: String
    public var cpu: String
    /// The ISA of the machine that recorded it (informational: portable bits do not depend on it).
    public var isa: String?
    public var threads: Int
    /// `Data SHA256: {train: ..., val: ...}`: the annotation files the reference run read, by split; a retrain whose
    /// file differs is warned about and its verdict says so. nil when the zoo does not record them.
    public var dataSHA256: [String: String]?
}

/// A multi-stream fusion result (MMAction2 1.x `tools/analysis_tools/report_accuracy.py`): the weighted sum of its
/// component entries' per-sample scores, as the READMEs' two-stream (joint:bone = 1:1) and four-stream
/// (joint:joint-motion:bone:bone-motion = 2:1:2:1) rows.
public struct FusionSpec: Sendable, Equatable, Codable {
    public struct Component: Sendable, Equatable, Codable {
        /// A zoo entry of the same file.
        public var entry: String
        /// Its coefficient (`--coefficients`).
        public var weight: Double
    }

    public var components: [Component]
    /// `--apply-softmax`: softmax each stream's scores before weighting (off upstream: `pred_score` is already a
    /// probability).
    public var applySoftmax: Bool
    /// Where the recipe comes from.
    public var source: String?
}

/// One model of the zoo.
public struct ZooEntry: Sendable, Equatable, Codable {
    public var name: String
    public var collection: String
    /// Config path as written in the zoo file (e.g. `configs/stgcn/x.yml`); nil for a fusion entry, which has no model
    /// of its own.
    public var config: String?
    /// For a fusion entry: its components and their weights.
    public var fusion: FusionSpec?
    /// `Metadata`, in file order, values as written.
    public var metadata: [[String]]
    public var scores: [PublishedScore]
    public var weightsURL: String?
    public var sha256Prefix: String?
    public var sha256: String?
    public var trainingLog: String?
    public var trainingJSONLog: String?
    public var dataURLs: [String]
    public var notes: [String]
    public var reference: ReferenceRun?
    /// `Recipe:` facts the metafile does not state (launcher, precision, GPUs); see ``PublishedRecipe``.
    public var recipe: RecipeFacts?
    /// The zoo file this entry came from (its file name, e.g. `stgcn.yml`).
    public var zooFile: String

    public func metadata(_ key: String) -> String? { metadata.first { $0[0] == key }?[1] }

    /// The dataset of the first published result.
    public var dataset: String { scores.first?.dataset ?? "" }
    /// `2d`/`3d` from `Metadata.Keypoint`.
    public var modality: String { metadata("Keypoint") ?? "" }

    /// The first published value of `metric` (the primary source comes first in the file).
    public func published(_ metric: String) -> PublishedScore? { scores.first { $0.metric == metric } }

    /// File name of the checkpoint, from its URL.
    public var checkpointFileName: String? { weightsURL.map { URL(string: $0)?.lastPathComponent ?? $0 } }
}

/// One parsed zoo file.
public struct ZooFile: Sendable, Equatable {
    public var name: String
    public var collections: [ZooCollection]
    public var entries: [ZooEntry]

    /// Parses zoo YAML; `file` is used for errors and `name` recorded on each entry.
    public static func parse(_ text: String, file: String, name: String) throws(ConfigError) -> ZooFile {
        let top = try YAMLValue.parse(text, file: file).map()
        let collections = try top.value("Collections").array { v throws(ConfigError) -> ZooCollection in
            let map = try v.map()
            let paper = try map.optional("Paper")?.map()
            let collection = ZooCollection(
                name: try map.string("Name"), paperTitle: try paper?.optional("Title")?.string(),
                paperURL: try paper?.optional("URL")?.string(), source: try map.optional("Source")?.string())
            _ = map.optional("README")
            try paper?.finish()
            try map.finish()
            return collection
        }
        var entries: [ZooEntry] = []
        let models = try top.value("Models").array()
        for value in models {
            let entry = try readEntry(value, zooFile: name, collections: collections.map(\.name))
            if entries.contains(where: { $0.name == entry.name }) {
                throw value.error("duplicate model name '\(entry.name)'")
            }
            entries.append(entry)
        }
        // A fusion entry combines entries of its own file that have a model (not other fusions).
        for (entry, value) in zip(entries, models) {
            for component in entry.fusion?.components ?? [] {
                guard let target = entries.first(where: { $0.name == component.entry }) else {
                    throw try value.map().value("Fusion").error("component '\(component.entry)' is not an entry of this file")
                }
                guard target.fusion == nil else {
                    throw try value.map().value("Fusion").error("component '\(component.entry)' is itself a fusion entry; name the streams")
                }
            }
        }
        try top.finish()
        return ZooFile(name: name, collections: collections, entries: entries)
    }

    static func readEntry(_ value: YAMLValue, zooFile: String, collections: [String]) throws(ConfigError) -> ZooEntry {
        let map = try value.map()
        let name = try map.string("Name")
        let collectionValue = try map.value("In Collection")
        let collection = try collectionValue.string()
        guard collections.contains(collection) else {
            throw collectionValue.error("unknown collection '\(collection)' (this file defines: \(collections.joined(separator: ", ")))")
        }
        let metadataMap = try map.value("Metadata").map()
        var metadata: [[String]] = []
        for key in metadataMap.keys {
            metadata.append([key, try metadataMap.string(key)])
        }
        try metadataMap.finish()
        var scores: [PublishedScore] = []
        for result in try map.value("Results").array() {
            let resultMap = try result.map()
            let dataset = try resultMap.string("Dataset")
            _ = try resultMap.string("Task")
            let source = try resultMap.string("Source")
            let footnotes = try resultMap.optional("Footnotes")?.map()
            let metrics = try resultMap.value("Metrics").map()
            for metric in metrics.keys {
                let metricValue = try metrics.value(metric)
                let text = try metricValue.string()
                guard Double(text) != nil else { throw metricValue.error("expected a number written as a string, e.g. \"86.91\"") }
                scores.append(PublishedScore(dataset: dataset, metric: metric, value: text, source: source,
                                             footnote: try footnotes?.optional(metric)?.string()))
            }
            try metrics.finish()
            try footnotes?.finish()
            try resultMap.finish()
        }
        let prefixValue = map.optional("Weights SHA256 Prefix")
        let prefix = try prefixValue?.string()
        if let prefix, let prefixValue, prefix.count != 8 || !prefix.allSatisfy(\.isHexDigit) {
            throw prefixValue.error("expected 8 hex digits")
        }
        let shaValue = map.optional("Weights SHA256")
        let sha = try shaValue?.string()
        if let sha, let shaValue, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
            throw shaValue.error("expected 64 hex digits")
        }
        var reference: ReferenceRun?
        if let referenceValue = map.optional("Reference Run") {
            let r = try referenceValue.map()
            let core = try r.optional("BLAS Core")?.string()
            let arithmetic: String
            if let arithmeticValue = r.optional("Arithmetic") {
                arithmetic = try arithmeticValue.string()
            } else if let core {
                arithmetic = "openblas/\(core)"
            } else {
                throw referenceValue.error("a Reference Run needs Arithmetic (e.g. portable-1) or, for an OpenBLAS run, BLAS Core")
            }
            reference = ReferenceRun(seed: try r.int("Seed"), weightsSHA256: try r.string("Weights SHA256"), arithmetic: arithmetic,
                                     cpu: try r.string("CPU"), isa: try r.optional("ISA")?.string(), threads: try r.int("Threads"))
            if let dataValue = r.optional("Data SHA256") {
                let data = try dataValue.map()
                var files: [String: String] = [:]
                for split in ["train", "val", "test"] {
                    guard let value = data.optional(split) else { continue }
                    let sha = try value.string()
                    guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else { throw value.error("expected 64 hex digits") }
                    files[split] = sha.lowercased()
                }
                try data.finish()
                reference?.dataSHA256 = files
            }
            try r.finish()
        }
        var recipe: RecipeFacts?
        if let recipeValue = map.optional("Recipe") {
            let r = try recipeValue.map()
            let gpusValue = r.optional("GPUs")
            let gpus = try gpusValue?.int()
            if let gpus, let gpusValue, gpus < 1 { throw gpusValue.error("expected a GPU count of at least 1") }
            let precisionValue = r.optional("Precision")
            let precision = try precisionValue?.string()
            if let precision, let precisionValue, !["fp32", "fp16"].contains(precision) { throw precisionValue.error("expected fp32 or fp16") }
            recipe = RecipeFacts(gpus: gpus, launcher: try r.optional("Launcher")?.string(),
                                 launcherSource: try r.optional("Launcher Source")?.string(), precision: precision)
            try r.finish()
        }
        let configValue = map.optional("Config")
        let fusionValue = map.optional("Fusion")
        let fusion = try fusionValue.map { v throws(ConfigError) in try readFusion(v) }
        switch (configValue, fusionValue) {
        case (nil, nil): throw value.error("an entry needs Config (a model) or Fusion (components and weights)")
        case (_?, let fusion?): throw fusion.error("a fusion entry has no Config of its own; remove one of Config and Fusion")
        default: break
        }
        if fusion != nil, let weights = map.optional("Weights") {
            throw weights.error("a fusion entry has no checkpoint; its components have")
        }
        let entry = ZooEntry(
            name: name, collection: collection, config: try configValue?.string(), fusion: fusion, metadata: metadata, scores: scores,
            weightsURL: try map.optional("Weights")?.string(), sha256Prefix: prefix?.lowercased(), sha256: sha?.lowercased(),
            trainingLog: try map.optional("Training Log")?.string(),
            trainingJSONLog: try map.optional("Training Json Log")?.string(),
            dataURLs: try map.optional("Data")?.array { v throws(ConfigError) in try v.string() } ?? [],
            notes: try map.optional("Notes")?.array { v throws(ConfigError) in try v.string() } ?? [],
            reference: reference, recipe: recipe, zooFile: zooFile)
        try map.finish()
        return entry
    }

    /// Named bound on the streams of one fusion entry (MMAction2's READMEs use 2 and 4).
    public static let maxFusionComponents = 16

    static func readFusion(_ value: YAMLValue) throws(ConfigError) -> FusionSpec {
        let map = try value.map()
        let componentsValue = try map.value("Components")
        let components = try componentsValue.array { v throws(ConfigError) -> FusionSpec.Component in
            let c = try v.map()
            let weightValue = try c.value("Weight")
            let weight = try weightValue.double()
            guard weight.isFinite, weight > 0 else { throw weightValue.error("expected a weight > 0, found \(weight)") }
            let component = FusionSpec.Component(entry: try c.string("Entry"), weight: weight)
            try c.finish()
            return component
        }
        guard (2...maxFusionComponents).contains(components.count) else {
            throw componentsValue.error("expected 2 to \(maxFusionComponents) components, found \(components.count)")
        }
        guard Set(components.map(\.entry)).count == components.count else {
            throw componentsValue.error("a component is named twice; give it one entry with the summed weight")
        }
        let spec = FusionSpec(components: components, applySoftmax: try map.bool("Apply Softmax"),
                              source: try map.optional("Source")?.string())
        try map.finish()
        return spec
    }
}
