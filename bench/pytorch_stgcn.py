#!/usr/bin/env python3
"""PyTorch CPU throughput of MMAction2 0.24.1's ST-GCN, the yardstick beside `skelzoo bench` (optional: not a test).

Shape: NTU-60 2D as in configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml (layout coco, 17 joints, in_channels 3,
M=2, 60 classes, graph strategy spatial, data BN, edge importance), batch 16, random weights (the backbone's and
head's own init_weights) and random inputs in [-1, 1), as `skelzoo bench` uses.

  eval   model.eval(), torch.no_grad(): forward
  train  model.train(): forward, cross-entropy, backward, SGD step (lr 0.01, momentum 0.9, weight decay 1e-4,
         Nesterov: the config's optimizer)

Each configuration (mode, T, threads) runs in its own process, with OMP_NUM_THREADS and MKL_NUM_THREADS set
before torch is imported and torch.set_num_threads, so its peak RSS (getrusage ru_maxrss) is that configuration's
alone. Warm-up steps, then steps for at least --seconds (and at least 2).

The model is MMAction2 0.24.1's own STGCN + STGCNHead when `mmaction` imports (mmcv 1.x lite; mmcv.runner imports
torchvision but the ST-GCN path never calls it, so a missing or broken torchvision is replaced by an empty module).
Without MMAction2 it is bench/stgcn_transcription.py, a plain-PyTorch transcription of the same source; the output
says which ran. `--check-transcription` compares the two (outputs and gradients) where both import.

MMAction2 0.24.1 on a current Python (it wants mmcv <= 1.7.0; mmcv's setup.py needs pkg_resources), in a venv that
sees the system's torch:
  python3 -m venv --system-site-packages venv && venv/bin/pip install 'setuptools<70' wheel
  MMCV_WITH_OPS=0 venv/bin/pip install --no-build-isolation mmcv==1.7.0 && venv/bin/pip install einops
  venv/bin/pip install --no-deps mmaction2==0.24.1
  make bench-torch PYTHON=venv/bin/python

  python3 bench/pytorch_stgcn.py                       # eval and train, T=100 and 300, 1 and 2 threads
  python3 bench/pytorch_stgcn.py --modes train --frames 100 --threads 1 --json
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))

# The 0.x config's model (configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml).
BACKBONE_CFG = dict(type='STGCN', in_channels=3, edge_importance_weighting=True,
                    graph_cfg=dict(layout='coco', strategy='spatial'))
HEAD_CFG = dict(type='STGCNHead', num_classes=60, in_channels=256, loss_cls=dict(type='CrossEntropyLoss'),
                spatial_type='avg', num_person=2, init_std=0.01)
JOINTS, IN_CHANNELS, PERSONS, CLASSES = 17, 3, 2, 60


def _stub_torchvision():
    """mmcv.runner imports torchvision for checkpoint URLs only; stand in an empty module where it cannot import."""
    try:
        import torchvision  # noqa: F401
        return None
    except Exception as error:  # ImportError, or a CUDA build's RuntimeError beside a CPU torch
        import types
        for name in [n for n in sys.modules if n == 'torchvision' or n.startswith('torchvision.')]:
            del sys.modules[name]
        stub = types.ModuleType('torchvision')
        stub.__version__ = '0.0.0'
        sys.modules['torchvision'] = stub
        return f'torchvision not importable ({type(error).__name__}); empty stand-in for mmcv.runner'


def build_model(impl):
    """(model, implementation label, notes). impl: auto, mmaction or transcription."""
    import torch.nn as nn
    notes = []
    if impl in ('auto', 'mmaction'):
        warnings.filterwarnings('ignore', message='On January 1, 2023, MMCV')  # mmcv 1.x's import-time notice
        note = _stub_torchvision()
        try:
            import mmaction
            import mmcv
            from mmaction.models import build_backbone, build_head
        except Exception as error:
            if impl == 'mmaction':
                raise SystemExit(f'error: --impl mmaction: MMAction2 does not import ({type(error).__name__}: {error})\n'
                                 'hint: pip install mmaction2==0.24.1 --no-deps and mmcv 1.x lite (MMCV_WITH_OPS=0)')
            notes.append(f'MMAction2 not importable ({type(error).__name__}: {error}); using the transcription')
        else:
            if note:
                notes.append(note)
            if mmaction.__version__ != '0.24.1':
                notes.append(f'MMAction2 is {mmaction.__version__}, not 0.24.1')
            backbone, head = build_backbone(dict(BACKBONE_CFG)), build_head(dict(HEAD_CFG))
            backbone.init_weights()
            head.init_weights()
            return nn.Sequential(backbone, head), f'mmaction2 {mmaction.__version__} (mmcv {mmcv.__version__})', notes
    sys.path.insert(0, HERE)
    import stgcn_transcription as t
    backbone = t.STGCN(in_channels=IN_CHANNELS, graph_cfg=BACKBONE_CFG['graph_cfg'], edge_importance_weighting=True)
    head = t.STGCNHead(num_classes=CLASSES, in_channels=256, num_person=PERSONS, init_std=0.01)
    backbone.init_weights()
    head.init_weights()
    return nn.Sequential(backbone, head), 'transcription of mmaction2 0.24.1 (bench/stgcn_transcription.py)', notes


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(args):
    """One configuration in this process; prints one JSON object."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, impl, notes = build_model(args.impl)
    n = args.batch_size
    x = torch.rand(n, IN_CHANNELS, args.frames, JOINTS, PERSONS) * 2 - 1
    labels = torch.arange(n) % CLASSES
    baseline = max_rss_mb()
    if args.mode == 'eval':
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    else:
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            optimizer.step()
    for _ in range(args.warmup):
        step()
    iterations, fastest = 0, float('inf')
    start = time.perf_counter()
    elapsed = 0.0
    while iterations < 2 or elapsed < args.seconds:
        t0 = time.perf_counter()
        step()
        now = time.perf_counter()
        iterations += 1
        fastest = min(fastest, now - t0)
        elapsed = now - start
    print(json.dumps(dict(
        mode=args.mode, frames=args.frames, threads=args.threads, batch_size=n,
        samples_per_s=iterations * n / elapsed, best_step_samples_per_s=n / fastest,
        iterations=iterations, seconds=elapsed, warmup=args.warmup,
        peak_rss_mb=max_rss_mb(), rss_before_steps_mb=baseline,
        torch=torch.__version__, torch_threads=torch.get_num_threads(), cpu_capability=torch.backends.cpu.get_cpu_capability(),
        mkldnn=torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled, impl=impl, notes=notes)))


def run_config(mode, frames, threads, batch_size=16, seconds=5.0, warmup=2, impl='auto', python=None):
    """Runs one configuration in a fresh process with the thread count set before torch's import; its JSON dict."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    command = [python or sys.executable, os.path.abspath(__file__), '--worker', '--modes', mode, '--frames', str(frames),
               '--threads', str(threads), '--batch-size', str(batch_size), '--seconds', str(seconds),
               '--warmup', str(warmup), '--impl', impl]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'PyTorch {mode} T={frames} threads={threads} failed (exit {done.returncode}):\n{done.stderr.strip()}')
    return json.loads(done.stdout.strip().splitlines()[-1])


PROBE = r'''
import torch
torch.set_num_threads(1)
conv = torch.nn.Conv2d(64, 64, (9, 1), padding=(4, 0))
with torch.no_grad():
    conv(torch.rand(4, 64, 100, 17))
'''


def backend_info(python=None):
    """torch's CPU capability, oneDNN version and the ISA oneDNN dispatches to (ONEDNN_VERBOSE on one 9x1 conv)."""
    import torch
    info = dict(torch=torch.__version__, cpu_capability=torch.backends.cpu.get_cpu_capability())
    config = torch.__config__.show()
    version = re.search(r'(?:oneDNN|MKL-DNN) (v[\d.]+)', config)
    blas = re.search(r'BLAS_INFO=(\w+)', config)
    info.update(onednn=version.group(1) if version else 'none', blas=blas.group(1) if blas else 'unknown')
    env = dict(os.environ, ONEDNN_VERBOSE='1', DNNL_VERBOSE='1', OMP_NUM_THREADS='1')
    done = subprocess.run([python or sys.executable, '-c', PROBE], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    for line in done.stdout.splitlines():
        fields = line.split(',')
        if 'isa:' in line and 'onednn_isa' not in info:
            info['onednn_isa'] = line.split('isa:', 1)[1].strip()
        if ',exec,' in line and 'convolution' in line and 'onednn_conv_impl' not in info:
            impl = [f for f in fields if ':' in f and ('conv' in f or 'jit' in f or 'gemm' in f)]
            if impl:
                info['onednn_conv_impl'] = impl[0]
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--modes', default='eval,train')
    parser.add_argument('--frames', default='100,300')
    parser.add_argument('--threads', default='1,2')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=5.0, help='measure for at least this long after the warm-up')
    parser.add_argument('--warmup', type=int, default=2, help='steps before measuring (oneDNN builds its kernels then)')
    parser.add_argument('--impl', choices=['auto', 'mmaction', 'transcription'], default='auto')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--check-transcription', action='store_true',
                        help='compare bench/stgcn_transcription.py with MMAction2 0.24.1 (needs both) and exit')
    args = parser.parse_args()
    if args.check_transcription:
        sys.path.insert(0, HERE)
        import stgcn_transcription
        sys.exit(stgcn_transcription.check_against_mmaction())
    if args.worker:
        args.mode, args.frames, args.threads = args.modes, int(args.frames), int(args.threads)
        worker(args)
        return
    try:
        import torch  # noqa: F401
    except ImportError as error:
        sys.exit(f'error: PyTorch is not importable by {sys.executable} ({error})\nhint: pip install torch')
    try:
        modes, frames, threads = args.modes.split(','), [int(f) for f in args.frames.split(',')], [int(t) for t in args.threads.split(',')]
    except ValueError:
        sys.exit('error: --frames and --threads take comma-separated integers, e.g. --frames 100,300')
    if not set(modes) <= {'eval', 'train'} or min(frames + threads + [args.batch_size]) < 1:
        sys.exit('error: --modes takes eval and/or train; --frames, --threads and --batch-size must be at least 1')
    info = backend_info()
    results = []
    for f in frames:
        for t in threads:
            for mode in modes:
                result = run_config(mode, f, t, args.batch_size, args.seconds, args.warmup, args.impl)
                results.append(result)
                if not args.json:
                    print(f'{mode:5s} batch {args.batch_size}, T={f}, {t} thread(s): {result["samples_per_s"]:8.3f} samples/s '
                          f'(fastest step {result["best_step_samples_per_s"]:.3f}), peak RSS {result["peak_rss_mb"]:.0f} MiB '
                          f'({result["iterations"]} steps in {result["seconds"]:.1f} s)', flush=True)
    if args.json:
        print(json.dumps(dict(backend=info, results=results), indent=2, sort_keys=True))
    else:
        print(f'model: {results[0]["impl"]}' + ''.join(f'\n  note: {n}' for n in results[0]['notes']))
        print('backend: ' + ', '.join(f'{k} {v}' for k, v in info.items()))


if __name__ == '__main__':
    main()
