# casesync — the two commands a new machine needs are `make demo` and `make test`.
# Everything else (Debian packages, the CMake build) is pulled in by them.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEMO_ARGS ?=
BENCH_OUT ?= bench-out/bench.json
BENCH_ARGS ?=
CMAKE_BUILD_TYPE ?= RelWithDebInfo

.PHONY: all build demo test clean bootstrap bootstrap-test unit bench bench-abuse bench-weak sim sim-fresh fuzz package package-check

all: build

bootstrap:
	@scripts/bootstrap.sh

bootstrap-test:
	@scripts/bootstrap.sh --test

build: bootstrap
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# A local district of 40 real casesyncd processes on loopback. --once runs the scenario, checks
# that every node holds exactly what it should, and exits 0 only then.
demo: build
	@python3 scripts/demo.py --bin $(BUILD_DIR) $(DEMO_ARGS)

# Every test: unit tests (doctest), the simulator's regression seeds and a fixed batch,
# multi-process integration tests and `make demo --once`. Three at once on two cores: the
# weak-link test spends minutes waiting on its slow link (COST starts it first); every test
# must pass under that load, and a test that fails only under load is a bug.
TEST_JOBS ?= 3
test: bootstrap-test build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900 -j$(TEST_JOBS)

# Unit tests only (fast, no processes).
unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -LE integration -j$(JOBS)

# Benchmarks (not tests): the machine's limits, then real daemons on loopback (ports 21000..).
# Prints a table and writes JSON to $(BENCH_OUT); BENCH_ARGS=--quick for a short smoke run.
bench: build
	@python3 bench/run_bench.py --bin $(BUILD_DIR) --out $(BENCH_OUT) $(BENCH_ARGS)

# The local API under abuse: memory under a 1 GiB body, /healthz beside 300 slow connections and
# 50 long-polls (docs/BENCHMARKS.md, "The API under abuse"; about 1 min).
bench-abuse: build
	@CASESYNC_BIN=$(BUILD_DIR) python3 bench/api_abuse.py

# Goodput over a 64 kbit/s, 300 ms terminal link through the fault proxy (a benchmark; ~1 min).
bench-weak: build
	@CASESYNC_BIN=$(BUILD_DIR) python3 bench/weak_link_goodput.py

# The deterministic simulator: `make sim SEEDS=N` runs N seeds, `make sim SEED=S` replays one.
SEEDS ?= 20
SIM_ARGS ?=
# `make sim-fresh` explores today's new seeds (yyyymmdd*1000 + n, all faults but those the
# open bugs in sim/sim_test.cc exclude) for SIM_FRESH_SEEDS seeds; a failure prints its replay.
SIM_FRESH_SEEDS ?= 500
sim-fresh: build
	$(BUILD_DIR)/sim/casesync_sim --seeds=$(SIM_FRESH_SEEDS) --first=$$(date -u +%Y%m%d)000 \
	  --faults=-equivocate $(SIM_ARGS)

sim: build
	@if [ -n "$(SEED)" ]; then $(BUILD_DIR)/sim/casesync_sim --seed=$(SEED) $(SIM_ARGS); \
	else $(BUILD_DIR)/sim/casesync_sim --seeds=$(SEEDS) $(SIM_ARGS); fi

FUZZ_SECONDS ?= 60
FUZZ_BUILD_DIR ?= build-fuzz

# libFuzzer on every decoder of outside input (fuzz/README.md), FUZZ_SECONDS per target; needs clang.
fuzz: bootstrap-test
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASESYNC_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzz_all
	@fuzz/run_fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# The Debian package (CPack DEB): $(BUILD_DIR)/casesync_<version>-1_<arch>.deb
package: build
	@cd $(BUILD_DIR) && cpack -G DEB --config CPackConfig.cmake

# The unit's systemd-analyze exposure (<= 2.0) and verify, the .deb's contents and scripts, lintian.
package-check: bootstrap-test build
	@tests/package_check.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) demo-run
