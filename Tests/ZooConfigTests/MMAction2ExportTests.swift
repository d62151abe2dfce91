import Foundation
import Testing
import ZooTestSupport
@testable import ZooConfig
import ZooPose

/// `skelzoo config export`: the MMAction2 0.24.1 Python config of each zoo entry (issue 11 §4).
///
/// Two checks per stgcn 0.x entry: the text equals its golden file (`Golden/mmaction2/<entry>.py`; regenerate with
/// `SKELZOO_UPDATE_GOLDEN=1 swift test --filter MMAction2ExportTests` and review the diff), and, independently of the
/// exporter's code, the text parsed back as Python literals has every value of the entry's YAML config.
@Suite struct MMAction2ExportTests {
    static let entries = ["stgcn_80e_ntu60_xsub_keypoint", "stgcn_80e_ntu60_xsub_keypoint_3d", "stgcn_80e_babel60",
                          "stgcn_80e_babel60_wfl", "stgcn_80e_babel120", "stgcn_80e_babel120_wfl"]

    static func export(_ name: String) throws -> (config: ExperimentConfig, python: String) {
        let path = "configs/stgcn/\(name).yml"
        let text = try #require(ZooSources.embeddedText(path))
        try MMAction2Export.checkModelType(yaml: text, file: path)
        let config = try ExperimentConfig.parse(text, file: path)
        return (config, try MMAction2Export.python(config, name: name, source: path))
    }

    @Test(arguments: entries) func exportMatchesTheGoldenFile(_ name: String) throws {
        let python = try Self.export(name).python
        let golden = Fixtures.repositoryRoot.appending(path: "Tests/ZooConfigTests/Golden/mmaction2/\(name).py")
        if ProcessInfo.processInfo.environment["SKELZOO_UPDATE_GOLDEN"] == "1" { try Data(python.utf8).write(to: golden) }
        #expect(python == (try String(contentsOf: golden, encoding: .utf8)))
    }

    @Test(arguments: entries) func exportHasEveryValueOfTheYAMLConfig(_ name: String) throws {
        let (config, python) = try Self.export(name)
        let py = try PythonLiterals.parse(python)
        let model = config.model
        func expect(_ path: String, _ expected: PythonLiterals.Value, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(py[path] == expected, "\(name): \(path)", sourceLocation: sourceLocation)
        }
        typealias V = PythonLiterals.Value
        expect("model.type", .string("SkeletonGCN"))
        expect("model.backbone.type", .string("STGCN"))
        expect("model.backbone.in_channels", .int(model.inChannels))
        expect("model.backbone.edge_importance_weighting", .bool(model.edgeImportanceWeighting))
        expect("model.backbone.data_bn", .bool(model.dataBN))
        expect("model.backbone.dropout", .float(model.dropout))
        expect("model.backbone.graph_cfg", .dict([("layout", .string(model.layout)), ("strategy", .string(model.strategy)),
                                                  ("max_hop", .int(model.maxHop)), ("dilation", .int(model.dilation))]))
        // MMAction2 hard-codes the blocks; the YAML's must be those, and the export must not pass them (STGCN rejects them).
        #expect(model.channels == MMAction2Export.mmaction2Channels && model.strides == MMAction2Export.mmaction2Strides)
        #expect(py["model.backbone.channels"] == nil && py["model.backbone.strides"] == nil)
        expect("model.cls_head.type", .string("STGCNHead"))
        expect("model.cls_head.num_classes", .int(model.numClasses))
        expect("model.cls_head.in_channels", .int(model.headInChannels))
        expect("model.cls_head.num_person", .int(model.numPerson))
        expect("model.cls_head.spatial_type", .string(model.spatialType))
        expect("model.cls_head.init_std", .float(model.initStd))
        switch model.loss {
        case .crossEntropy(let weight):
            expect("model.cls_head.loss_cls", .dict([("type", .string("CrossEntropyLoss")), ("loss_weight", .float(weight))]))
        case .cbFocal(let weight, let beta, let gamma, let counts):
            expect("model.cls_head.loss_cls", .dict([("type", .string("CBFocalLoss")), ("loss_weight", .float(weight)),
                                                     ("samples_per_cls", .list(counts.map(V.int))), ("beta", .float(beta)), ("gamma", .float(gamma))]))
        }
        expect("model.train_cfg", .none)
        expect("model.test_cfg", .none)
        expect("dataset_type", .string("PoseDataset"))
        expect("ann_file_train", .string(config.annFileTrain))
        expect("ann_file_val", .string(config.annFileVal))
        for (key, steps) in [("train_pipeline", config.trainPipeline), ("val_pipeline", config.valPipeline), ("test_pipeline", config.testPipeline)] {
            expect(key, .list(steps.map(Self.step)))
        }
        expect("data.videos_per_gpu", .int(config.data.videosPerGPU))
        expect("data.workers_per_gpu", .int(config.data.workersPerGPU))
        expect("data.test_dataloader.videos_per_gpu", .int(config.data.testVideosPerGPU))
        for (key, dataset) in [("train", config.data.train), ("val", config.data.val), ("test", config.data.test)] {
            let pose = V.dict([("type", .string("PoseDataset")), ("ann_file", .string(dataset.annFile)), ("data_prefix", .string(dataset.dataPrefix)),
                               ("pipeline", .list(dataset.pipeline.map(Self.step)))])
            expect("data.\(key)", dataset.repeatTimes == 1 ? pose : .dict([("type", .string("RepeatDataset")), ("times", .int(dataset.repeatTimes)), ("dataset", pose)]))
        }
        expect("optimizer", .dict([("type", .string("SGD")), ("lr", .float(config.optimizer.lr)), ("momentum", .float(config.optimizer.momentum)),
                                   ("weight_decay", .float(config.optimizer.weightDecay)), ("nesterov", .bool(config.optimizer.nesterov))]))
        expect("optimizer_config", .dict([("grad_clip", .none)]))
        expect("lr_config", .dict([("policy", .string("step")), ("step", .list(config.lrSchedule.steps.map(V.int))),
                                   ("gamma", .float(config.lrSchedule.gamma)), ("by_epoch", .bool(true))]))
        expect("total_epochs", .int(config.totalEpochs))
        expect("checkpoint_config.interval", .int(config.checkpointInterval))
        expect("evaluation.interval", .int(config.evaluation.interval))
        expect("evaluation.metrics", .list(config.evaluation.metrics.map(V.string)))
        expect("evaluation.metric_options.top_k_accuracy.topk", .tuple(config.evaluation.topk.map(V.int)))
        expect("log_config.interval", .int(config.logInterval))
        expect("work_dir", .string(config.workDir))
        expect("load_from", .none)
        expect("resume_from", .none)
    }

    static func step(_ step: PipelineStep) -> PythonLiterals.Value {
        typealias V = PythonLiterals.Value
        switch step {
        case .paddingWithLoop(let clip, let clips): return .dict([("type", .string("PaddingWithLoop")), ("clip_len", .int(clip)), ("num_clips", .int(clips))])
        case .poseDecode: return .dict([("type", .string("PoseDecode"))])
        case .formatGCNInput(let format, let persons):
            return .dict([("type", .string("FormatGCNInput")), ("input_format", .string(format)), ("num_person", .int(persons))])
        case .poseNormalize(let mean, let minValue, let maxValue):
            return .dict([("type", .string("PoseNormalize")), ("mean", .tuple(mean.map(V.float))), ("min_value", .tuple(minValue.map(V.float))),
                          ("max_value", .tuple(maxValue.map(V.float)))])
        case .collect(let keys, let metaKeys):
            return .dict([("type", .string("Collect")), ("keys", .list(keys.map(V.string))), ("meta_keys", .list(metaKeys.map(V.string)))])
        case .toTensor(let keys): return .dict([("type", .string("ToTensor")), ("keys", .list(keys.map(V.string)))])
        case .preNormalize2D, .preNormalize3D, .genSkeFeat, .uniformSampleFrames, .formatGCNClips, .packActionInputs:
            Issue.record("the 0.x zoo configs use no MMAction2 1.x transform: \(step)")
            return .none
        }
    }

    @Test func demoEntriesAreRefusedWithTheReason() throws {
        for path in ["configs/demo/demo_stgcn_coco2d_ce.yml", "configs/demo/demo_stgcn_ntu3d_cbfocal.yml"] {
            let config = try ExperimentConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
            #expect(!MMAction2Export.inexpressible(config).isEmpty)
            do {
                _ = try MMAction2Export.python(config, name: "demo", source: path)
                Issue.record("\(path) exported")
            } catch {
                #expect(error.file == path && error.key == "model.backbone")
                #expect(error.message.contains("SkelZoo extension"))
                #expect(error.message.contains("MMAction2 0.24.1's STGCN hard-codes channels [64, 64, 64, 64, 128, 128, 128, 256, 256, 256]"))
            }
            // The checkpoint's meta still records it, keys kept and the reason stated.
            let text = MMAction2Export.checkpointText(config, name: "demo")
            #expect(text.contains("# Not buildable by MMAction2: ") && text.contains("channels=[") && text.contains("strides=["))
            let parsed = try PythonLiterals.parse(text)
            #expect(parsed["model.backbone.channels"] == .list(config.model.channels.map(PythonLiterals.Value.int)))
        }
    }

    @Test(arguments: [("RecognizerGCN", "model.type"), ("AAGCN", "model.backbone.type"), ("GCNHead", "model.cls_head.type")])
    func unknownModelTypesAreRefusedByName(_ type: String, _ key: String) throws {
        var text = try #require(ZooSources.embeddedText("configs/stgcn/stgcn_80e_babel60.yml"))
        switch key {
        case "model.type": text = text.replacingOccurrences(of: "type: SkeletonGCN", with: "type: \(type)")
        case "model.backbone.type": text = text.replacingOccurrences(of: "type: STGCN\n", with: "type: \(type)\n")
        default: text = text.replacingOccurrences(of: "type: STGCNHead", with: "type: \(type)")
        }
        #expect {
            try MMAction2Export.checkModelType(yaml: text, file: "x.yml")
        } throws: { error in
            let error = error as? ConfigError
            return error?.key == key && error?.message.contains("'\(type)' is not one") == true
        }
    }

    @Test func stringsAreQuotedForPython() {
        #expect(PythonValue.quoted("it's a\\b\n") == #"'it\'s a\\b\n'"#)
        #expect(PythonValue.tuple([.int(1)]).flat == "(1,)")
        #expect(PythonValue.float(0.0001).flat == "0.0001" && PythonValue.float(1e-5).flat == "1e-05")
    }
}

/// A reader of the Python subset the exporter writes (assignments of dict(...), lists, tuples, strings, numbers,
/// True/False/None and names assigned before), written apart from the exporter so that the test checks its text.
enum PythonLiterals {
    indirect enum Value: Equatable, CustomStringConvertible {
        case dict([(String, Value)]), list([Value]), tuple([Value]), string(String), int(Int), float(Double), bool(Bool), none

        static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.dict(let x), .dict(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)): x == y
            case (.string(let x), .string(let y)): x == y
            case (.int(let x), .int(let y)): x == y
            case (.float(let x), .float(let y)): x == y
            case (.bool(let x), .bool(let y)): x == y
            case (.none, .none): true
            default: false
            }
        }

        var description: String {
            switch self {
            case .dict(let entries): "dict(" + entries.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + ")"
            case .list(let values): "\(values)"
            case .tuple(let values): "(" + values.map(\.description).joined(separator: ", ") + ")"
            case .string(let text): "'\(text)'"
            case .int(let value): "\(value)"
            case .float(let value): "float \(value)"
            case .bool(let value): value ? "True" : "False"
            case .none: "None"
            }
        }
    }

    struct Module {
        var variables: [(String, Value)]
        /// The value at a dotted path (`model.backbone.type`), nil when absent.
        subscript(path: String) -> Value? {
            let keys = path.split(separator: ".").map(String.init)
            var value = variables.last { $0.0 == keys[0] }?.1
            for key in keys.dropFirst() {
                guard case .dict(let entries)? = value else { return nil }
                value = entries.first { $0.0 == key }?.1
            }
            return value
        }
    }

    struct ParseError: Error, CustomStringConvertible { var description: String }

    static func parse(_ text: String) throws -> Module {
        var tokens: [String] = []
        var characters = Array(text)[...]
        while let c = characters.first {
            if c == "#" { while let d = characters.first, d != "\n" { characters.removeFirst() }; continue }
            if c.isWhitespace { characters.removeFirst(); continue }
            if "()[]=,".contains(c) { tokens.append(String(c)); characters.removeFirst(); continue }
            if c == "'" {
                characters.removeFirst()
                var literal = "'"
                while let d = characters.popFirst(), d != "'" {
                    if d == "\\", let e = characters.popFirst() {
                        literal.append(["n": "\n", "t": "\t", "r": "\r"][e] ?? e)
                    } else { literal.append(d) }
                }
                tokens.append(literal)
                continue
            }
            var word = ""
            while let d = characters.first, !d.isWhitespace, !"()[]=,#'".contains(d) { word.append(d); characters.removeFirst() }
            tokens.append(word)
        }
        var position = 0
        var variables: [(String, Value)] = []
        func next() throws -> String {
            guard position < tokens.count else { throw ParseError(description: "unexpected end") }
            defer { position += 1 }
            return tokens[position]
        }
        func expect(_ token: String) throws {
            let found = try next()
            guard found == token else { throw ParseError(description: "expected \(token), found \(found) at token \(position)") }
        }
        func items(until close: String) throws -> [Value] {
            var values: [Value] = []
            while tokens[position] != close {
                values.append(try value())
                if tokens[position] == "," { position += 1 }
            }
            position += 1
            return values
        }
        func value() throws -> Value {
            let token = try next()
            switch token {
            case "dict":
                try expect("(")
                var entries: [(String, Value)] = []
                while tokens[position] != ")" {
                    let key = try next()
                    try expect("=")
                    entries.append((key, try value()))
                    if tokens[position] == "," { position += 1 }
                }
                position += 1
                return .dict(entries)
            case "[": return .list(try items(until: "]"))
            case "(": return .tuple(try items(until: ")"))
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                if token.hasPrefix("'") { return .string(String(token.dropFirst())) }
                if let int = Int(token) { return .int(int) }
                if token.contains(where: { ".eE".contains($0) }), let double = Double(token) { return .float(double) }
                if let variable = variables.last(where: { $0.0 == token }) { return variable.1 }
                throw ParseError(description: "unknown name or literal '\(token)'")
            }
        }
        while position < tokens.count {
            let name = try next()
            try expect("=")
            variables.append((name, try value()))
        }
        return Module(variables: variables)
    }
}
