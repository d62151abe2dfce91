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

    /// A tiny MMAction2 1.x RecognizerGCN config on a synthetic COCO 1.x annotation file (`tiny1x/annotations.pkl`, splits
    /// `train` and `val`, as `skelzoo data synth --format 1.x` writes it): ST-GCN 1.x (`stgcn`: unit_tcn, importance,
    /// stgcn_spatial), ST-GCN++ (`stgcnpp`: mstcn, init, spatial) or 2s-AGCN (`aagcn`: adaptive, no attention) with 3 stages of 12, 12, 24 channels, the translated
    /// configs' pipelines with `clip_len` = `frames`, RepeatDataset, DefaultSampler(shuffle), nesterov SGD and the
    /// per-iteration cosine schedule.
    public static func oneX(kind: String = "stgcn", classes: Int = 3, frames: Int = 12, epochs: Int = 2, batch: Int = 4, repeatTimes: Int = 2,
                            numClips: Int = 2) -> String {
        let backbone = switch kind {
        case "stgcnpp":
            "type: STGCN, graph_cfg: {layout: coco, mode: spatial, max_hop: 1}, gcn_adaptive: init, tcn_type: mstcn,\n"
                + "             tcn_ms_cfg: [[3, 1], [3, 2], [3, 3], [3, 4], [max, 3], 1x1], tcn_mid_channels: null,\n"
                + "             ch_ratio: 2, gcn_conv_pos: pre, gcn_with_res: true,"
        case "aagcn":
            "type: AAGCN, graph_cfg: {layout: coco, mode: spatial, max_hop: 1}, gcn_adaptive: true, gcn_coff_embedding: 4,\n"
                + "             gcn_attention: false, tcn_type: unit_tcn,"
        default:
            "type: STGCN, graph_cfg: {layout: coco, mode: stgcn_spatial, max_hop: 1}, gcn_adaptive: importance, tcn_type: unit_tcn,\n"
                + "             ch_ratio: 2, gcn_conv_pos: pre, gcn_with_res: false,"
        }
        let dataset = "{type: PoseDataset, ann_file: tiny1x/annotations.pkl"
        return """
        model:
          type: RecognizerGCN
          backbone: {\(backbone)
                     in_channels: 3, base_channels: 12, data_bn_type: VC, num_person: 2, num_stages: 3,
                     inflate_stages: [3], down_stages: [3], tcn_dropout: 0.0}
          cls_head: {type: GCNHead, num_classes: \(classes), in_channels: 24, dropout: 0.0, average_clips: prob, init_std: 0.01,
                     loss_cls: {type: CrossEntropyLoss, loss_weight: 1.0}}
        dataset_type: PoseDataset
        ann_file: tiny1x/annotations.pkl
        train_pipeline: &train_pipeline
          - {type: PreNormalize2D, img_shape: [1080, 1920]}
          - {type: GenSkeFeat, dataset: coco, feats: [j], axis: -1}
          - {type: UniformSampleFrames, clip_len: \(frames), num_clips: 1, test_mode: false, seed: 255}
          - {type: PoseDecode}
          - {type: FormatGCNInput, num_person: 2, mode: zero}
          - {type: PackActionInputs}
        val_pipeline: &val_pipeline
          - {type: PreNormalize2D, img_shape: [1080, 1920]}
          - {type: GenSkeFeat, dataset: coco, feats: [j], axis: -1}
          - {type: UniformSampleFrames, clip_len: \(frames), num_clips: 1, test_mode: true, seed: 255}
          - {type: PoseDecode}
          - {type: FormatGCNInput, num_person: 2, mode: zero}
          - {type: PackActionInputs}
        test_pipeline: &test_pipeline
          - {type: PreNormalize2D, img_shape: [1080, 1920]}
          - {type: GenSkeFeat, dataset: coco, feats: [j], axis: -1}
          - {type: UniformSampleFrames, clip_len: \(frames), num_clips: \(numClips), test_mode: true, seed: 255}
          - {type: PoseDecode}
          - {type: FormatGCNInput, num_person: 2, mode: zero}
          - {type: PackActionInputs}
        train_dataloader:
          batch_size: \(batch)
          num_workers: 2
          sampler: {type: DefaultSampler, shuffle: true}
          dataset:
            type: RepeatDataset
            times: \(repeatTimes)
            dataset: \(dataset), split: train, test_mode: false, pipeline: *train_pipeline}
        val_dataloader:
          batch_size: \(batch)
          num_workers: 2
          sampler: {type: DefaultSampler, shuffle: false}
          dataset: \(dataset), split: val, test_mode: true, pipeline: *val_pipeline}
        test_dataloader:
          batch_size: 1
          num_workers: 2
          sampler: {type: DefaultSampler, shuffle: false}
          dataset: \(dataset), split: val, test_mode: true, pipeline: *test_pipeline}
        val_evaluator: &evaluator
          - {type: AccMetric, metric_list: [top_k_accuracy, mean_class_accuracy], topk: [1, 5]}
        test_evaluator: *evaluator
        train_cfg: {type: EpochBasedTrainLoop, max_epochs: \(epochs), val_begin: 1, val_interval: 1}
        val_cfg: {type: ValLoop}
        test_cfg: {type: TestLoop}
        param_scheduler:
          - {type: CosineAnnealingLR, eta_min: 0.0, T_max: \(epochs), by_epoch: true, convert_to_iter_based: true}
        optim_wrapper:
          optimizer: {type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 0.0005, nesterov: true}
          clip_grad: null
        default_hooks: {checkpoint: {interval: 1}, logger: {interval: 100}}
        auto_scale_lr: {enable: false, base_batch_size: 128}
        gpus: 1
        work_dir: ./work_dirs/tiny1x/
        load_from: null
        resume: false

        """
    }
}
