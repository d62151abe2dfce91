# SkelZoo: two commands. `make run` (the main job) and `make test`.
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libopenblas-dev
BIN := .build/release/skelzoo

.PHONY: run test test-slurm deps build bench bench-torch torch-check fuzz

# Installs the system libraries when missing (apt-get as root; otherwise says what to install).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
		else \
			echo "error: missing system packages:$$missing"; \
			echo "hint: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

build: deps
	$(SWIFT) build -c release --product skelzoo

# The main job: retrain the demo zoo with its recorded seeds and check the bits, mark what cannot run here (the 0.x
# and 1.x entries without their checkpoints and data, the fusion entries without their streams' results; nothing is
# downloaded), and regenerate reports/ from the registry: one table per model family.
run: build
	$(BIN) list
	$(BIN) reproduce --zoo zoo/demo.yml
	$(BIN) reproduce --zoo zoo/stgcn.yml
	$(BIN) reproduce --zoo zoo/stgcn1x.yml --zoo zoo/stgcnpp.yml --zoo zoo/2s-agcn.yml
	$(BIN) report --out reports

test: deps
	$(SWIFT) test

# The Slurm end-to-end tests on a local single-node cluster (root, Debian): up, the tests, down (also on failure).
test-slurm: deps
	scripts/slurm-local.sh up
	SLURM_CONF=/tmp/skelzoo-slurm/slurm.conf $(SWIFT) test --filter 'Slurm|ZooHarnessTests'; status=$$?; scripts/slurm-local.sh down; exit $$status

# GEMM shapes for every ISA the CPU has (each against OpenBLAS at its native core, in the same run); the network at
# T=100 and T=300, 1 and 2 threads, eval and train; then the OpenBLAS backend at T=100 for the portable/OpenBLAS ratio.
BENCH_SECONDS ?= 5
bench: build
	@for isa in avx2 avx512 neon; do SKELZOO_ISA=$$isa $(BIN) bench --mode gemm --frames 100 --threads 1 2>/dev/null || echo "$$isa: not on this CPU"; done
	@for frames in 100 300; do for threads in 1 2; do for mode in eval train; do \
		$(BIN) bench --mode $$mode --frames $$frames --threads $$threads --seconds $(BENCH_SECONDS) || exit 1; done; done; done
	$(BIN) bench --mode eval --frames 100 --threads 1 --seconds $(BENCH_SECONDS) --backend openblas
	$(BIN) bench --mode train --frames 100 --threads 1 --seconds $(BENCH_SECONDS) --backend openblas

# Optional, needs Python with PyTorch (make test and CI do not): SkelZoo beside PyTorch running MMAction2 0.24.1's
# ST-GCN (or bench/stgcn_transcription.py where MMAction2 does not import), back to back per configuration, eval and
# train at T=100 and T=300, 1 and 2 threads, batch 16; prints samples/s, peak RSS and ours/PyTorch for each.
# PYTHON=/path/to/python picks the interpreter (e.g. a venv with mmaction2 0.24.1 and mmcv 1.7.0 lite).
PYTHON ?= python3
torch-check:
	@$(PYTHON) -c 'import torch' >/dev/null 2>&1 || { \
		echo "error: bench-torch needs PyTorch, and '$(PYTHON) -c \"import torch\"' failed"; \
		echo "hint: pip install torch (and optionally mmaction2==0.24.1 --no-deps with mmcv 1.7.0), or make bench-torch PYTHON=/path/to/python"; \
		exit 1; }
bench-torch: torch-check build
	$(PYTHON) bench/torch_ratios.py --skelzoo $(BIN) --seconds $(BENCH_SECONDS)

# libFuzzer over every reader of untrusted bytes (pickle + torch containers, zip, annotation files + pipeline, zoo and
# config YAML), FUZZ_SECONDS each, with AddressSanitizer and LeakSanitizer; non-zero exit on any finding. Fuzz/run.sh.
FUZZ_SECONDS ?= 60
export FUZZ_SECONDS
# Everything is built with ASan and libFuzzer's coverage; libFuzzer itself is linked into the fuzz targets only
# (Fuzz/Package.swift). Release: about 8x the executions per second of debug; preconditions stay on. detect_leaks=0
# only while building: the zoo-embed build tool runs under ASan then.
FUZZ_BUILD_FLAGS := -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
fuzz: deps
	cd Fuzz && ASAN_OPTIONS=detect_leaks=0 $(SWIFT) build -c release $(FUZZ_BUILD_FLAGS)
	Fuzz/run.sh
