# SkelZoo: two commands. `make run` (the main job) and `make test`.
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libopenblas-dev
BIN := .build/release/skelzoo

.PHONY: run test test-slurm deps build bench fuzz

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

# The main job: retrain the demo zoo with its recorded seeds and check the bits, mark what cannot run here,
# and regenerate reports/ from the registry.
run: build
	$(BIN) list
	$(BIN) reproduce --zoo zoo/demo.yml
	$(BIN) reproduce --zoo zoo/stgcn.yml
	$(BIN) report --out reports

test: deps
	$(SWIFT) test

# The Slurm end-to-end tests on a local single-node cluster (root, Debian): up, the tests, down (also on failure).
test-slurm: deps
	scripts/slurm-local.sh up
	SLURM_CONF=/tmp/skelzoo-slurm/slurm.conf $(SWIFT) test --filter 'Slurm|ZooHarnessTests'; status=$$?; scripts/slurm-local.sh down; exit $$status

# GEMM shapes for every ISA the CPU has (each against OpenBLAS at its native core, in the same run), then the network.
bench: build
	@for isa in avx2 avx512 neon; do SKELZOO_ISA=$$isa $(BIN) bench --mode gemm --frames 100 --threads 1 2>/dev/null || echo "$$isa: not on this CPU"; done
	$(BIN) bench --mode eval --threads 1
	$(BIN) bench --mode eval --threads 2
	$(BIN) bench --mode train --threads 1
	$(BIN) bench --mode train --threads 2

# Bounded libFuzzer runs over the pickle reader and the torch containers (FUZZ_SECONDS each), seeded with the fixtures.
FUZZ_SECONDS ?= 60
fuzz: deps
	cd Fuzz && $(SWIFT) build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
	mkdir -p .build/fuzz-corpus && cp ../shared/fixtures/ann/*.pkl .build/fuzz-corpus/ 2>/dev/null || true
	Fuzz/.build/debug/PickleFuzzer -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 .build/fuzz-corpus
