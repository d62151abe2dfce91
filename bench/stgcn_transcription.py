"""MMAction2 0.24.1's ST-GCN (mmaction/models/backbones/stgcn.py, heads/stgcn_head.py, skeleton_gcn/utils/graph.py;
Apache-2.0, OpenMMLab) in plain PyTorch, for bench/pytorch_stgcn.py where MMAction2 does not import.

The same modules, parameter names, operations and order as the source (so a state_dict loads either way), for the
layouts SkelZoo's 0.x zoo uses; initialisation as mmcv's kaiming_init / normal_init / constant_init.
`check_against_mmaction()` loads one model's state_dict into the other and compares outputs and gradients.
"""
import numpy as np
import torch
import torch.nn as nn

LAYOUTS = {
    # name: (joints, center, 1-based neighbour pairs)
    'coco': (17, 0, [(16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (8, 6), (9, 7),
                     (10, 8), (11, 9), (2, 3), (2, 1), (3, 1), (4, 2), (5, 3), (4, 6), (5, 7)]),
    'ntu-rgb+d': (25, 20, [(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
                           (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
                           (20, 19), (22, 23), (23, 8), (24, 25), (25, 12)]),
}


def graph_A(layout='coco', strategy='spatial', max_hop=1, dilation=1):
    """Graph(layout, strategy).A: (K, V, V) float64, as mmaction.models.skeleton_gcn.utils.Graph."""
    if layout not in LAYOUTS or strategy not in ('uniform', 'distance', 'spatial'):
        raise ValueError(f'graph_cfg: layout {layout!r} / strategy {strategy!r} not transcribed '
                         f'(layouts {sorted(LAYOUTS)}; strategies uniform, distance, spatial)')
    v, center, pairs = LAYOUTS[layout]
    edge = [(i, i) for i in range(v)] + [(i - 1, j - 1) for i, j in pairs]
    adjacency = np.zeros((v, v))
    for i, j in edge:
        adjacency[i, j] = adjacency[j, i] = 1
    hop_dis = np.zeros((v, v)) + np.inf
    arrive = np.stack([np.linalg.matrix_power(adjacency, d) for d in range(max_hop + 1)]) > 0
    for d in range(max_hop, -1, -1):
        hop_dis[arrive[d]] = d
    valid_hop = range(0, max_hop + 1, dilation)
    hop_adjacency = np.zeros((v, v))
    for hop in valid_hop:
        hop_adjacency[hop_dis == hop] = 1
    degree = np.sum(hop_adjacency, 0)
    dn = np.zeros((v, v))
    for i in range(v):
        if degree[i] > 0:
            dn[i, i] = degree[i] ** (-1)
    normalized = np.dot(hop_adjacency, dn)
    if strategy == 'uniform':
        return normalized[None]
    if strategy == 'distance':
        a = np.zeros((len(valid_hop), v, v))
        for k, hop in enumerate(valid_hop):
            a[k][hop_dis == hop] = normalized[hop_dis == hop]
        return a
    parts = []
    for hop in valid_hop:
        root, close, further = np.zeros((v, v)), np.zeros((v, v)), np.zeros((v, v))
        for i in range(v):
            for j in range(v):
                if hop_dis[j, i] == hop:
                    if hop_dis[j, center] == hop_dis[i, center]:
                        root[j, i] = normalized[j, i]
                    elif hop_dis[j, center] > hop_dis[i, center]:
                        close[j, i] = normalized[j, i]
                    else:
                        further[j, i] = normalized[j, i]
        if hop == 0:
            parts.append(root)
        else:
            parts.append(root + close)
            parts.append(further)
    return np.stack(parts)


class ConvTemporalGraphical(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size
        self.conv = nn.Conv2d(in_channels, out_channels * kernel_size, kernel_size=(1, 1), padding=(0, 0),
                              stride=(1, 1), dilation=(1, 1), bias=True)

    def forward(self, x, adj_mat):
        assert adj_mat.size(0) == self.kernel_size
        x = self.conv(x)
        n, kc, t, v = x.size()
        x = x.view(n, self.kernel_size, kc // self.kernel_size, t, v)
        x = torch.einsum('nkctv,kvw->nctw', (x, adj_mat))
        return x.contiguous(), adj_mat


def _zero(x):
    return 0


def _identity(x):
    return x


class STGCNBlock(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, dropout=0, residual=True):
        super().__init__()
        padding = ((kernel_size[0] - 1) // 2, 0)
        self.gcn = ConvTemporalGraphical(in_channels, out_channels, kernel_size[1])
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, (kernel_size[0], 1), (stride, 1), padding),
            nn.BatchNorm2d(out_channels), nn.Dropout(dropout, inplace=True))
        if not residual:
            self.residual = _zero
        elif in_channels == out_channels and stride == 1:
            self.residual = _identity
        else:
            self.residual = nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=(stride, 1)),
                                          nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x, adj_mat):
        res = self.residual(x)
        x, adj_mat = self.gcn(x, adj_mat)
        x = self.tcn(x) + res
        return self.relu(x), adj_mat


class STGCN(nn.Module):
    def __init__(self, in_channels, graph_cfg, edge_importance_weighting=True, data_bn=True):
        super().__init__()
        A = torch.tensor(graph_A(**graph_cfg), dtype=torch.float32, requires_grad=False)
        self.register_buffer('A', A)
        kernel_size = (9, A.size(0))
        self.data_bn = nn.BatchNorm1d(in_channels * A.size(1)) if data_bn else _identity
        plan = [(in_channels, 64, 1, False), (64, 64, 1, True), (64, 64, 1, True), (64, 64, 1, True),
                (64, 128, 2, True), (128, 128, 1, True), (128, 128, 1, True), (128, 256, 2, True),
                (256, 256, 1, True), (256, 256, 1, True)]
        self.st_gcn_networks = nn.ModuleList(STGCNBlock(i, o, kernel_size, s, residual=r) for i, o, s, r in plan)
        if edge_importance_weighting:
            self.edge_importance = nn.ParameterList(nn.Parameter(torch.ones(self.A.size())) for _ in self.st_gcn_networks)
        else:
            self.edge_importance = [1 for _ in self.st_gcn_networks]

    def init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # mmcv kaiming_init: fan_out, relu, normal; bias 0
                nn.init.kaiming_normal_(m.weight, a=0, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):  # mmcv normal_init: std 1, bias 0
                nn.init.normal_(m.weight, 0, 1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):  # mmcv constant_init(m, 1)
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = x.float()
        n, c, t, v, m = x.size()
        x = x.permute(0, 4, 3, 1, 2).contiguous()
        x = x.view(n * m, v * c, t)
        x = self.data_bn(x)
        x = x.view(n, m, v, c, t)
        x = x.permute(0, 1, 3, 4, 2).contiguous()
        x = x.view(n * m, c, t, v)
        for gcn, importance in zip(self.st_gcn_networks, self.edge_importance):
            x, _ = gcn(x, self.A * importance)
        return x


class STGCNHead(nn.Module):
    def __init__(self, num_classes, in_channels, num_person=2, init_std=0.01):
        super().__init__()
        self.num_classes, self.in_channels, self.num_person, self.init_std = num_classes, in_channels, num_person, init_std
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Conv2d(in_channels, num_classes, kernel_size=1)

    def init_weights(self):
        nn.init.normal_(self.fc.weight, 0, self.init_std)
        nn.init.constant_(self.fc.bias, 0)

    def forward(self, x):
        x = self.pool(x)
        x = x.view(x.shape[0] // self.num_person, self.num_person, -1, 1, 1).mean(dim=1)
        x = self.fc(x)
        return x.view(x.shape[0], -1)


def check_against_mmaction(frames=40, batch_size=3):
    """0 when the transcription matches MMAction2 0.24.1 (A, state_dict names and shapes, train/eval outputs,
    gradients) with the same weights; 1 with what differs. Needs MMAction2 importable."""
    import pytorch_stgcn as bench
    torch.manual_seed(0)
    reference, impl, _ = bench.build_model('mmaction')
    ours = nn.Sequential(STGCN(3, bench.BACKBONE_CFG['graph_cfg']), STGCNHead(60, 256, 2, 0.01))
    problems = []
    if not torch.equal(reference[0].A, ours[0].A):
        problems.append('graph A differs')
    ref_state, our_state = reference.state_dict(), ours.state_dict()
    if [(k, v.shape) for k, v in ref_state.items()] != [(k, v.shape) for k, v in our_state.items()]:
        problems.append('state_dict names or shapes differ')
    else:
        ours.load_state_dict(ref_state)
    x = torch.rand(batch_size, 3, frames, 17, 2) * 2 - 1
    labels = torch.arange(batch_size) % 60
    for mode in ('train', 'eval'):
        outputs = []
        for model in (reference, ours):
            model.train(mode == 'train')
            model.zero_grad(set_to_none=True)
            out = model(x)
            nn.functional.cross_entropy(out, labels).backward()
            outputs.append((out.detach(), [p.grad for p in model.parameters()]))
        (ref_out, ref_grads), (our_out, our_grads) = outputs
        if not torch.equal(ref_out, our_out):
            problems.append(f'{mode} outputs differ: max |diff| {(ref_out - our_out).abs().max().item():.3g}')
        if any(not torch.equal(a, b) for a, b in zip(ref_grads, our_grads)):
            problems.append(f'{mode} gradients differ')
    print(f'transcription vs {impl}: ' + ('bit-identical outputs and gradients (train and eval), same state_dict'
                                          if not problems else '; '.join(problems)))
    return 1 if problems else 0
