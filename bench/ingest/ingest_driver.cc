// Ingest driver for profiling: the library calls of `cairn ingest` (Ingest, then DeriveRelations)
// with the time of each phase, built against the static libraries only (no CLI), so that ingest
// can be measured and profiled while the rest of the tree is being rebuilt.
// Usage: ingest_driver CASE PATH...    prints "ingest_s=.. derive_s=.. events=.. bytes=.."
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "engine/graph/relations.h"
#include "engine/ingest/ingest.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ingest_driver CASE PATH...\n");
    return 2;
  }
  auto store = cairn::store::CaseStore::Open(argv[1], cairn::store::CaseStore::Mode::kCreate);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().ToString().c_str());
    return 3;
  }
  cairn::ingest::IngestOptions options;
  for (int arg_idx = 2; arg_idx < argc; ++arg_idx) options.paths.emplace_back(argv[arg_idx]);
  double wall0 = Now(), cpu0 = CpuSeconds();
  auto summary = cairn::ingest::Ingest(**store, options);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.error().ToString().c_str());
    return 3;
  }
  double wall1 = Now(), cpu1 = CpuSeconds();
  cairn::Status derived = cairn::graph::DeriveRelations(**store);
  if (!derived.ok()) {
    std::fprintf(stderr, "%s\n", derived.error().ToString().c_str());
    return 3;
  }
  double wall2 = Now(), cpu2 = CpuSeconds();
  std::printf(
      "events=%lld rejects=%lld bytes=%lld ingest_wall=%.2f ingest_cpu=%.2f derive_wall=%.2f "
      "derive_cpu=%.2f\n",
      static_cast<long long>(summary->events), static_cast<long long>(summary->rejects),
      static_cast<long long>(summary->bytes), wall1 - wall0, cpu1 - cpu0, wall2 - wall1,
      cpu2 - cpu1);
  return 0;
}
