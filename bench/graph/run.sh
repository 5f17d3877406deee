#!/usr/bin/env bash
# Builds and runs the entity-graph benchmark against the static libraries of a build directory.
# Usage: bench/graph/run.sh [EVENTS] [BUILD_DIR]     (default 1000000 events, build/)
# Not part of `make test`: 10 million events take a few minutes to generate and about 1.5 GB.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
events=${1:-1000000}
build=${2:-$here/build}
cmake --build "$build" --target cairn_graph cairn_store cairn_common >/dev/null
out="$build/bench/graph_bench"
mkdir -p "$build/bench"
g++ -std=c++20 -O2 -I"$here" "$here/bench/graph/graph_bench.cc" -o "$out" \
  "$build/engine/graph/libcairn_graph.a" "$build/engine/store/libcairn_store.a" \
  "$build/engine/common/libcairn_common.a" -lsqlite3
"$out" "$events" "${TMPDIR:-/tmp}/cairn-graph-bench.cairn"
rm -f "${TMPDIR:-/tmp}/cairn-graph-bench.cairn"{,-wal,-shm}
