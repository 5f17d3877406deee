# Cairn: the two commands a new machine needs are `make demo` and `make test`.
# Everything else wraps CMake. Each target installs what is missing first (scripts/install-deps).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON

.PHONY: all deps configure build test unit demo bench asan fuzz clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Every test: unit, golden, cli, end-to-end (and the browser test when Chromium is there).
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

# Only the fast unit tests.
unit: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

# Generates the reference incident into data/demo, ingests it and prints the verdict.
demo: build
	@scripts/demo $(BUILD)/engine/cli/cairn

# Benchmarks beside the peer tools (DuckDB, jq, grep/awk); results in bench/results/.
bench: build
	@bench/run $(BUILD)/engine/cli/cairn

# Tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) --timeout 1800

# libFuzzer targets, one per parser (clang); not run in CI.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_FUZZERS=ON -DCAIRN_BUILD_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	@echo "fuzzers in build-fuzz/fuzz/ (run e.g. build-fuzz/fuzz/fuzz_s3_access -max_total_time=60)"

clean:
	rm -rf $(BUILD) build-asan build-fuzz
