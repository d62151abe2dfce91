#!/usr/bin/env bash
# Cross-compiles SkelZoo's GEMM (Sources/ZooKernels) for arm64 and checks, under qemu, that the NEON kernel gives
# the scalar reference's bits. Installs gcc-aarch64-linux-gnu and qemu-user from Debian when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
need=""
command -v aarch64-linux-gnu-gcc >/dev/null || need="$need gcc-aarch64-linux-gnu"
command -v qemu-aarch64 >/dev/null || need="$need qemu-user"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else echo "error: missing$need"; echo "hint: sudo apt-get install$need"; exit 1; fi
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
aarch64-linux-gnu-gcc -O3 -ffp-contract=off -static -ISources/ZooKernels/include \
    Sources/ZooKernels/gemm.c Sources/ZooKernels/gemm_x86.c Sources/ZooKernels/gemm_neon.c \
    Tests/NEON/neon_vs_scalar.c -o "$out/neon_vs_scalar" -lm
qemu-aarch64 "$out/neon_vs_scalar"
