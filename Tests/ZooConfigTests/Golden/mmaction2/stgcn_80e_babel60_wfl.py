# MMAction2 0.24.1 config for stgcn_80e_babel60_wfl, written by `skelzoo config export` from configs/stgcn/stgcn_80e_babel60_wfl.yml.
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
            layout='ntu-rgb+d',
            strategy='spatial',
            max_hop=1,
            dilation=1)),
    cls_head=dict(
        type='STGCNHead',
        num_classes=60,
        in_channels=256,
        loss_cls=dict(
            type='CBFocalLoss',
            loss_weight=1.0,
            samples_per_cls=[
                518, 1993, 6260, 508, 208, 3006, 431, 724, 4527, 2131, 199,
                1255, 487, 302, 136, 571, 267, 646, 1180, 405, 731, 842, 1619,
                271, 1198, 1012, 865, 462, 526, 405, 487, 168, 271, 609, 503,
                167, 415, 421, 283, 2069, 715, 196, 989, 122, 599, 396, 245,
                380, 236, 260, 325, 133, 206, 191, 394, 145, 277, 268, 172,
                146],
            beta=0.9999,
            gamma=2.0),
        spatial_type='avg',
        num_person=1,
        init_std=0.01),
    train_cfg=None,
    test_cfg=None)
dataset_type = 'PoseDataset'
ann_file_train = 'data/babel/babel60_train.pkl'
ann_file_val = 'data/babel/babel60_val.pkl'
train_pipeline = [
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=1),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
val_pipeline = [
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=1),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
test_pipeline = [
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', input_format='NCTVM', num_person=1),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])]
data = dict(
    videos_per_gpu=16,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(
        type='RepeatDataset',
        times=5,
        dataset=dict(
            type=dataset_type,
            ann_file='data/babel/babel60_train.pkl',
            data_prefix='',
            pipeline=train_pipeline)),
    val=dict(
        type=dataset_type,
        ann_file='data/babel/babel60_val.pkl',
        data_prefix='',
        pipeline=val_pipeline),
    test=dict(
        type=dataset_type,
        ann_file='data/babel/babel60_val.pkl',
        data_prefix='',
        pipeline=test_pipeline))
optimizer = dict(
    type='SGD',
    lr=0.1,
    momentum=0.9,
    weight_decay=0.0001,
    nesterov=True)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[10, 14], gamma=0.1, by_epoch=True)
total_epochs = 16
checkpoint_config = dict(interval=1)
evaluation = dict(
    interval=1,
    metrics=['top_k_accuracy', 'mean_class_accuracy'],
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
log_config = dict(interval=100, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
work_dir = './work_dirs/stgcn_80e_babel60_wfl/'
load_from = None
resume_from = None
workflow = [('train', 1)]
