#!/usr/bin/env bash
# Builds and runs the entity-graph benchmark against the static libraries of a build directory:
# DeriveRelations on a synthetic CloudTrail-like case (full, then incremental), EntityGraph::Load,
# and walk latencies (p50/max). Prints a result table (see docs/graph.md "Speed").
# Usage: bench/graph/run.sh [EVENTS] [BUILD_DIR]     (default 1000000 events, build/)
#   GRAPH_BENCH_KEEP=1  keep the generated case in $TMPDIR and reuse it on the next run with the
#                       same EVENTS (generating 10 million events takes minutes and about 3.3 GB)
# Not part of `make test`; `make bench` runs it (results in bench/results/graph.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
events=${1:-1000000}
build=${2:-$here/build}
cmake --build "$build" --target cairn_graph cairn_store cairn_common >/dev/null
out="$build/bench/graph_bench"
mkdir -p "$build/bench"
g++ -std=c++20 -O2 -Wall -Wextra -Werror -pthread -I"$here" "$here/bench/graph/graph_bench.cc" \
  -o "$out" "$build/engine/graph/libcairn_graph.a" "$build/engine/store/libcairn_store.a" \
  "$build/engine/common/libcairn_common.a" -lsqlite3
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${GRAPH_BENCH_KEEP:-0}" = 1 ]; then
  "$out" "$events" "${TMPDIR:-/tmp}/cairn-graph-bench-$events.cairn" --reuse
else
  case_file="${TMPDIR:-/tmp}/cairn-graph-bench-$$.cairn"
  trap 'rm -f "$case_file" "$case_file-wal" "$case_file-shm"' EXIT
  "$out" "$events" "$case_file"
fi
