import Foundation

/// A tiny ST-GCN on synthetic COCO data: seconds per run even in a debug build. Shared by the runner, harness and CLI
/// tests (`config()`, which parses it, lives beside the tests that import ZooConfig).
public enum TinyConfig {
    /// The CLI tests' variant: 3 classes, 96 training clips of 24 frames in batches of 4 (24 iterations per epoch), 4 epochs,
    /// a checkpoint and a validation every 2 epochs, no RepeatDataset.
    public static let cli = text(classes: 3, train: 96, val: 12, frames: 24, epochs: 4, dropout: 0.1, steps: "[3]", batch: 4, repeatTimes: 1,
                                 checkpointInterval: 2, evaluationInterval: 2, metrics: "[top_k_accuracy]")

    /// - Parameter repeatTimes: the training set's `RepeatDataset` times; 1 writes a plain PoseDataset.
    public static func text(classes: Int = 4, train: Int = 48, val: Int = 24, frames: Int = 16, epochs: Int = 3, channels: String = "[8, 8, 16]",
                            strides: String = "[1, 2, 1]", lr: Double = 0.03, dropout: Double = 0.2, steps: String = "[2]", seed: Int = 0,
                            batch: Int = 8, repeatTimes: Int = 2, checkpointInterval: Int = 1, evaluationInterval: Int = 1,
                            metrics: String = "[top_k_accuracy, mean_class_accuracy]") -> String {
        let last = channels.split(separator: ",").last!.trimmingCharacters(in: CharacterSet(charactersIn: " ]"))
        let pose = "{type: PoseDataset, ann_file: tiny/train.pkl, data_prefix: '', pipeline: *p}"
        let trainDataset = repeatTimes == 1 ? pose : "{type: RepeatDataset, times: \(repeatTimes), dataset: \(pose)}"
        return """
        model:
          type: SkeletonGCN
          backbone: {type: STGCN, in_channels: 3, edge_importance_weighting: true, data_bn: true, dropout: \(dropout),
                     channels: \(channels), strides: \(strides),
                     graph_cfg: {layout: coco, strategy: spatial, max_hop: 1, dilation: 1}}
          cls_head: {type: STGCNHead, num_classes: \(classes), in_channels: \(last), num_person: 2, spatial_type: avg, init_std: 0.01,
                     loss_cls: {type: CrossEntropyLoss, loss_weight: 1.0}}
          train_cfg: null
          test_cfg: null
        synthetic: {layout: coco, classes: \(classes), train: \(train), val: \(val), frames: \(frames), persons: 2, seed: \(seed), imbalance: 1.0}
        dataset_type: PoseDataset
        ann_file_train: tiny/train.pkl
        ann_file_val: tiny/val.pkl
        train_pipeline: &p
          - {type: PaddingWithLoop, clip_len: \(frames), num_clips: 1}
          - {type: PoseDecode}
          - {type: FormatGCNInput, input_format: NCTVM, num_person: 2}
          - {type: PoseNormalize, mean: [960.0, 540.0, 0.5], min_value: [0.0, 0.0, 0.0], max_value: [1920.0, 1080.0, 1.0]}
          - {type: Collect, keys: [keypoint, label], meta_keys: []}
          - {type: ToTensor, keys: [keypoint]}
        val_pipeline: *p
        test_pipeline: *p
        data:
          videos_per_gpu: \(batch)
          workers_per_gpu: 2
          test_dataloader: {videos_per_gpu: 1}
          train: \(trainDataset)
          val: {type: PoseDataset, ann_file: tiny/val.pkl, data_prefix: '', pipeline: *p}
          test: {type: PoseDataset, ann_file: tiny/val.pkl, data_prefix: '', pipeline: *p}
        optimizer: {type: SGD, lr: \(lr), momentum: 0.9, weight_decay: 0.0001, nesterov: true}
        optimizer_config: {grad_clip: null}
        lr_config: {policy: step, step: \(steps), gamma: 0.1, by_epoch: true}
        total_epochs: \(epochs)
        checkpoint_config: {interval: \(checkpointInterval)}
        evaluation: {interval: \(evaluationInterval), metrics: \(metrics), topk: [1, 5]}
        log_config: {interval: 100}
        work_dir: ./work_dirs/tiny/
        load_from: null
        resume_from: null

        """
    }
}
