import Foundation
import ZooConfig
import ZooIO
import ZooSTGCN
import ZooTorch

/// The one way a checkpoint's weights reach a model: `test`, `reproduce --mode eval`, a Slurm eval task and
/// `train --load-from` all load through here, strictly (every key consumed, every parameter assigned).
public enum ModelLoader {
    /// Loads the state_dict of the checkpoint at `url` into `model`.
    /// - Parameters:
    ///   - role: what the file is, for the error when it is missing or a folder ("checkpoint", "--load-from checkpoint").
    ///   - fileHint: the hint when the file cannot be read as a checkpoint.
    ///   - modelHint: the hint when its state_dict does not fit the model.
    /// - Throws: ``RunnerError`` naming the file.
    public static func load(_ url: URL, into model: inout STGCN, role: String, fileHint: String? = nil, modelHint: String? = nil) throws {
        try InputFile.requireRegularFile(url, role: role)
        let file: TorchCheckpoint
        do { file = try TorchCheckpoint.load(contentsOf: url) } catch { throw RunnerError("\(url.path): \(error)", hint: fileHint) }
        do { try model.load(stateDict: try file.stateDict()) } catch { throw RunnerError("\(url.path): \(error)", hint: modelHint) }
    }

    /// An ST-GCN built from `config` with the checkpoint's weights; the errors say whether the file or the config is at fault.
    public static func model(_ config: ExperimentConfig, checkpoint: URL) throws -> STGCN {
        var model = STGCN(STGCNConfiguration(config.model))
        try load(checkpoint, into: &model, role: "checkpoint", fileHint: "is this a complete .pth file? try downloading it again",
                 modelHint: "check that the config (\(config.source)) matches the checkpoint")
        return model
    }
}

extension ModelLoader {
    /// A 1.x config's `RecognizerGCN` with the checkpoint's `state_dict` (mmengine's `message_hub` objects stay inert
    /// and unread); the errors say whether the file or the config is at fault.
    /// - Parameter role: what the file is, for the error when it is missing or a folder.
    public static func recognizer(_ config: RecognizerGCNConfig, checkpoint: URL, role: String = "checkpoint") throws -> RecognizerGCN {
        try InputFile.requireRegularFile(checkpoint, role: role)
        var model: RecognizerGCN
        do { model = try RecognizerGCN(configuration: RecognizerGCN.Configuration(config)) } catch {
            throw RunnerError("\(config.source): \(error)", hint: "SkelZoo implements the MMAction2 1.x zoo's configurations")
        }
        let file: TorchCheckpoint
        do { file = try TorchCheckpoint.load(contentsOf: checkpoint) } catch {
            throw RunnerError("\(checkpoint.path): \(error)", hint: "is this a complete .pth file? try downloading it again")
        }
        do { try model.load(checkpoint: file) } catch {
            throw RunnerError("\(checkpoint.path): \(error)", hint: "check that the config (\(config.source)) matches the checkpoint")
        }
        return model
    }
}
