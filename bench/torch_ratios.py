#!/usr/bin/env python3
"""`make bench-torch`: SkelZoo against PyTorch (MMAction2 0.24.1's ST-GCN) back to back, one table of ratios.

For each configuration (T, threads, mode) it runs `skelzoo bench --json` and then bench/pytorch_stgcn.py's worker
with the same shape (NTU-60 2D, batch 16), each in its own process, so both sides see the same machine load and
each peak RSS is that configuration's alone. Prints both sides' samples/s and peak RSS, ours / PyTorch for each,
SkelZoo's fraction of sgemm, the ISAs, and the load average before and after (the machine may be shared).
"""
import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# Issue 13's ratio targets, at T=100, 1 thread.
TARGETS = {'eval': 2.2, 'train': 1.5}


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def skelzoo(binary, entry, mode, frames, threads, batch_size, seconds):
    command = [binary, 'bench', entry, '--mode', mode, '--frames', str(frames), '--threads', str(threads),
               '--batch-size', str(batch_size), '--seconds', str(seconds), '--json']
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed (exit {done.returncode}):\n{done.stderr.strip()}')
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--skelzoo', default='.build/release/skelzoo', help='the skelzoo binary')
    parser.add_argument('--entry', default='stgcn_80e_ntu60_xsub_keypoint', help='zoo entry (its shape) for skelzoo bench')
    parser.add_argument('--modes', default='eval,train')
    parser.add_argument('--frames', default='100,300')
    parser.add_argument('--threads', default='1,2')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=5.0, help='each side measures for at least this long')
    parser.add_argument('--impl', choices=['auto', 'mmaction', 'transcription'], default='auto',
                        help='PyTorch model: MMAction2 0.24.1 when it imports (auto), or the transcription')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError as error:
        sys.exit(f'error: bench-torch needs PyTorch, which {sys.executable} cannot import ({error})\n'
                 'hint: pip install torch, or make bench-torch PYTHON=/path/to/python-with-torch')
    if not os.access(args.skelzoo, os.X_OK):
        sys.exit(f'error: --skelzoo {args.skelzoo}: not an executable (build it: make build)')
    try:
        modes, frames = args.modes.split(','), [int(f) for f in args.frames.split(',')]
        threads = [int(t) for t in args.threads.split(',')]
    except ValueError:
        sys.exit('error: --frames and --threads take comma-separated integers, e.g. --frames 100,300')
    if not set(modes) <= {'eval', 'train'} or min(frames + threads + [args.batch_size]) < 1:
        sys.exit('error: --modes takes eval and/or train; --frames, --threads and --batch-size must be at least 1')
    import pytorch_stgcn

    backend = pytorch_stgcn.backend_info()
    load_before = os.getloadavg()
    rows = []
    for f in frames:
        for t in threads:
            for mode in modes:
                print(f'measuring {mode} T={f} {t} thread(s): skelzoo, then PyTorch ...', file=sys.stderr, flush=True)
                ours = skelzoo(args.skelzoo, args.entry, mode, f, t, args.batch_size, args.seconds)
                theirs = pytorch_stgcn.run_config(mode, f, t, args.batch_size, args.seconds, impl=args.impl)
                rows.append(dict(mode=mode, frames=f, threads=t, skelzoo=ours, pytorch=theirs,
                                 speed_ratio=ours['samples_per_s'] / theirs['samples_per_s'],
                                 best_step_ratio=ours['best_step_samples_per_s'] / theirs['best_step_samples_per_s'],
                                 rss_ratio=ours['peak_rss_mb'] / theirs['peak_rss_mb']))
    load_after = os.getloadavg()
    machine = dict(cpu=cpu_model(), cores=os.cpu_count(), skelzoo_arithmetic=rows[0]['skelzoo']['arithmetic'],
                   skelzoo_kernel=rows[0]['skelzoo']['kernel'], pytorch_model=rows[0]['pytorch']['impl'],
                   pytorch_notes=rows[0]['pytorch']['notes'], load_before=load_before, load_after=load_after,
                   openblas_coretype=os.environ.get('OPENBLAS_CORETYPE'), **{f'torch_{k}': v for k, v in backend.items()})
    if args.json:
        print(json.dumps(dict(machine=machine, rows=rows), indent=2, sort_keys=True))
        return
    print(f'CPU: {machine["cpu"]}, {machine["cores"]} cores; OPENBLAS_CORETYPE={machine["openblas_coretype"] or "(unset)"}')
    print(f'SkelZoo: {machine["skelzoo_arithmetic"]}, GEMM kernel {machine["skelzoo_kernel"]}')
    print(f'PyTorch: {backend["torch"]}, capability {backend["cpu_capability"]}, oneDNN {backend["onednn"]} '
          f'({backend.get("onednn_isa", "ISA not reported")}; conv {backend.get("onednn_conv_impl", "-")}), BLAS {backend["blas"]}')
    print(f'  model: {machine["pytorch_model"]}' + ''.join(f'; {n}' for n in machine['pytorch_notes']))
    print(f'load average (1/5/15 min) before {"/".join(f"{x:.2f}" for x in load_before)}, '
          f'after {"/".join(f"{x:.2f}" for x in load_after)}; batch {args.batch_size}, >= {args.seconds:g} s per side')
    print()
    header = ('| mode | T | threads | SkelZoo samples/s | PyTorch samples/s | ours/PyTorch | fastest-step ratio '
              '| SkelZoo fraction of sgemm | SkelZoo peak RSS MiB | PyTorch peak RSS MiB (before steps) | RSS ours/PyTorch |')
    print(header)
    print('|' + '---|' * (header.count('|') - 1))
    for r in rows:
        ours, theirs = r['skelzoo'], r['pytorch']
        print(f'| {r["mode"]} | {r["frames"]} | {r["threads"]} | {ours["samples_per_s"]:.2f} | {theirs["samples_per_s"]:.2f} '
              f'| {r["speed_ratio"]:.2f}x | {r["best_step_ratio"]:.2f}x '
              f'| {ours["gflop_per_s"] / ours["sgemm_gflop_per_s"]:.2f} | {ours["peak_rss_mb"]:.0f} '
              f'| {theirs["peak_rss_mb"]:.0f} ({theirs["rss_before_steps_mb"]:.0f}) | {r["rss_ratio"]:.2f} |')
    print()
    for mode, target in TARGETS.items():
        for r in rows:
            if r['mode'] == mode and r['frames'] == 100 and r['threads'] == 1:
                verdict = 'met' if r['speed_ratio'] >= target else 'not met'
                print(f'issue 13 target {mode} >= {target}x PyTorch at T=100, 1 thread: {r["speed_ratio"]:.2f}x ({verdict})')


if __name__ == '__main__':
    main()
