import Foundation
import Testing
import ZooConfig
import ZooSTGCN
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooRunner

/// The `meta` of a SkelZoo checkpoint as mmcv's runner writes it (issue 11 §4): `config` as MMAction2 Python text,
/// `time`, `env_info`, `hook_msgs`, nothing claimed that SkelZoo is not (no `mmcv_version`), and only values that
/// `torch.load(weights_only=True)` accepts.
@Suite struct CheckpointMetaTests {
    static func encode(_ config: ExperimentConfig, name: String, date: Date = Date(timeIntervalSince1970: 0)) throws -> TorchCheckpoint {
        let model = STGCN(STGCNConfiguration(config.model))
        let optimizer = SGD(momentum: Float(config.optimizer.momentum), weightDecay: Float(config.optimizer.weightDecay), nesterov: true)
        let position = TrainingPosition(epoch: 1, iteration: 12, seed: 3, configHash: "x")
        let bytes = CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: config.optimizer, learningRate: config.optimizer.lr,
                                        position: position, configName: name,
                                        provenance: .current(config: config, configName: name, date: date))
        return try TorchCheckpoint.load(bytes: bytes)
    }

    /// Every value under `value` is one `torch.load(weights_only=True)` rebuilds without a global beyond tensors and
    /// (Ordered)dicts: None, bool, int, float, str, tuple, list, dict, tensor. Returns the paths that are not.
    static func unsafeValues(_ value: PickleValue, path: String = "") -> [String] {
        switch value {
        case .none, .bool, .int, .float, .string, .tensor: return []
        case .tuple(let items): return items.enumerated().flatMap { unsafeValues($0.element, path: "\(path)[\($0.offset)]") }
        case .list(let list): return list.items.enumerated().flatMap { unsafeValues($0.element, path: "\(path)[\($0.offset)]") }
        case .dict(let dict): return dict.entries.flatMap { unsafeValues($0.value, path: "\(path).\($0.key.string ?? "\($0.key.int ?? -1)")") }
        default: return ["\(path): \(value.kind)"]
        }
    }

    @Test func metaHoldsWhatMMCVWritesThatSkelZooCanState() throws {
        let config = try TinyConfig.config()
        let file = try Self.encode(config, name: "tiny.yml")
        let meta = try #require(file.meta)
        #expect(meta["env_info"]?.string?.contains("SkelZoo arithmetic: \(Arithmetic.label)") == true)
        #expect(meta["env_info"]?.string?.contains("sys.platform: ") == true)
        #expect(meta["hook_msgs"]?.dictionary?.entries.isEmpty == true)
        #expect(meta["mmcv_version"] == nil && meta["mmaction_version"] == nil)
        #expect(meta["epoch"]?.int == 1 && meta["iter"]?.int == 12 && meta["seed"]?.int == 3)
        // The tiny config's blocks are not MMAction2's: the text keeps them and says MMAction2 cannot build it.
        let text = try #require(meta["config"]?.string)
        #expect(text.hasPrefix("# MMAction2 0.24.1-style config of tiny.yml, as SkelZoo trained it.\n# Not buildable by MMAction2: "))
        #expect(text.contains("channels=[8, 8, 16]"))
        #expect(Self.unsafeValues(file.root).isEmpty, "\(Self.unsafeValues(file.root))")
    }

    @Test func anMMAction2ConfigIsRecordedAsItsExport() throws {
        let path = "configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml"
        let config = try ExperimentConfig.parse(try #require(ZooSources.embeddedText(path)), file: path)
        // The provenance alone: encoding a full-size (3M-parameter) model would only repeat the tiny test above, slowly.
        let text = CheckpointProvenance.current(config: config, configName: "stgcn_80e_ntu60_xsub_keypoint.yml").config
        let export = try MMAction2Export.python(config, name: "x", source: path)
        // The same assignments as `config export` writes, after the header comments.
        func body(_ text: String) -> String { text.split(separator: "\n").drop { $0.hasPrefix("#") }.joined(separator: "\n") }
        #expect(body(text) == body(export))
        #expect(!text.contains(" channels=[") && !text.contains("Not buildable"))
    }

    @Test func optimizerHyperparametersAreTheConfigsDecimalValues() throws {
        let config = try TinyConfig.config()
        let group = try #require(Self.encode(config, name: "tiny").root.dictionary?["optimizer"]?.dictionary?["param_groups"]?.items?.first?.dictionary)
        // Python floats (doubles) of the config's decimals, as torch stores them: not 0.8999999761581421.
        for (key, value) in [("momentum", 0.9), ("weight_decay", 0.0001), ("lr", 0.03), ("initial_lr", 0.03)] {
            #expect(group[key]?.kind == "float" && group[key]?.double == value, "\(key)")
        }
    }

    @Test func timeIsPythonsAsctime() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(CheckpointProvenance.asctime(Date(timeIntervalSince1970: 0), timeZone: utc) == "Thu Jan  1 00:00:00 1970")
        // 2026-11-27 07:31:34 UTC
        #expect(CheckpointProvenance.asctime(Date(timeIntervalSince1970: 1_795_764_694), timeZone: utc) == "Fri Nov 27 07:31:34 2026")
    }
}
