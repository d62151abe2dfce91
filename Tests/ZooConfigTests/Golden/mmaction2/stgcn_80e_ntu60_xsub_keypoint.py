# MMAction2 0.24.1 config for stgcn_80e_ntu60_xsub_keypoint, written by `skelzoo config export` from configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml.
# It builds the same network and pipeline as SkelZoo's YAML config; every value that changes a result is spelled out.
model = dict(
    type='SkeletonGCN',
    backbone=dict(
        type='STGCN',
        in_channels=3,
        edge_importance_weighting=True,
        data_bn=True,
        dropout=0.0,
        graph_cfg=dict(
            layout='coco',
            strategy='spatial',
            max_hop=1,
            dilation=1)),
    cls_head=dict(
        type='STGCNHead',
        num_classes=60,
        in_channels=256,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        spatial_type='avg',
        num_person=2,
        init_std=0.01),
    train_cfg=None,
    test_cfg=None)
dataset_type = 'PoseDataset'
ann_file_train = 'data/posec3d/ntu60_xsub_train.pkl'
ann_file_val = 'data/posec3d/ntu60_xsub_val.pkl'
train_pipeline = [
    dict(type='PaddingWithLoop', clip_len=300, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=2),
    dict(
        type='PoseNormalize',
        mean=(960.0, 540.0, 0.5),
        min_value=(0.0, 0.0, 0.0),
        max_value=(1920.0, 1080.0, 1.0)),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
val_pipeline = [
    dict(type='PaddingWithLoop', clip_len=300, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=2),
    dict(
        type='PoseNormalize',
        mean=(960.0, 540.0, 0.5),
        min_value=(0.0, 0.0, 0.0),
        max_value=(1920.0, 1080.0, 1.0)),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
test_pipeline = [
    dict(type='PaddingWithLoop', clip_len=300, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=2),
    dict(
        type='PoseNormalize',
        mean=(960.0, 540.0, 0.5),
        min_value=(0.0, 0.0, 0.0),
        max_value=(1920.0, 1080.0, 1.0)),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
data = dict(
    videos_per_gpu=16,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(
        type=dataset_type,
        ann_file='data/posec3d/ntu60_xsub_train.pkl',
        data_prefix='',
        pipeline=train_pipeline),
    val=dict(
        type=dataset_type,
        ann_file='data/posec3d/ntu60_xsub_val.pkl',
        data_prefix='',
        pipeline=val_pipeline),
    test=dict(
        type=dataset_type,
        ann_file='data/posec3d/ntu60_xsub_val.pkl',
        data_prefix='',
        pipeline=test_pipeline))
optimizer = dict(
    type='SGD',
    lr=0.1,
    momentum=0.9,
    weight_decay=0.0001,
    nesterov=True)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[10, 50], gamma=0.1, by_epoch=True)
total_epochs = 80
checkpoint_config = dict(interval=5)
evaluation = dict(
    interval=5,
    metrics=['top_k_accuracy'],
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
log_config = dict(interval=100, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
work_dir = './work_dirs/stgcn_80e_ntu60_xsub_keypoint/'
load_from = None
resume_from = None
workflow = [('train', 1)]
