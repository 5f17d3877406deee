// Measures DeriveRelations, EntityGraph::Load and walk latency on a synthetic case.
// Usage: graph_bench EVENTS [CASE_FILE]   (see run.sh; not part of `make test`)
//
// The case holds EVENTS CloudTrail-like events (2,000 IAM users with one key each; 30% of calls
// from 20 shared office addresses, the rest from ~5 own addresses per user; ~7 of 500 buckets per
// user; 300 user agents; 40% bucket reads, 0.1% console logins, key updates, 5% failures),
// generated with one recursive SQL statement and a multiplicative hash of the event number.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/graph/entity_graph.h"
#include "engine/graph/relations.h"
#include "engine/store/case_store.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Fail(const cairn::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.ToString().c_str());
  return 1;
}

std::string GenerateSql(long long first, long long count) {
  std::string n = std::to_string(count), base = std::to_string(first);
  return R"SQL(
WITH RECURSIVE seq(i) AS (SELECT )SQL" + base + R"SQL( UNION ALL SELECT i + 1 FROM seq WHERE i < )SQL" +
         base + " + " + n + R"SQL( - 1),
h AS (SELECT i, (i * 2654435761) % 4294967291 AS h FROM seq),
g AS (SELECT i, h, h % 2000 AS u, CASE WHEN i % 100003 = 0 THEN 'UpdateAccessKey'
        WHEN (h / 2000) % 1000 = 999 THEN 'ConsoleLogin'
        WHEN (h / 2000) % 1000 < 400 THEN 'GetObject' ELSE 'DescribeInstances' END AS action,
        CASE WHEN (h / 7) % 10 < 3 THEN '203.0.113.' || (h % 20)
             ELSE '100.' || ((((h % 2000) * 37 + (h / 13) % 5) % 50000) / 256 % 256) || '.' ||
                  (((h % 2000) * 37 + (h / 13) % 5) % 256) || '.' ||
                  (1 + ((h % 2000) * 37 + (h / 13) % 5) / 65536) END AS ip
      FROM h)
INSERT INTO events(ts, source_id, source_type, line, raw, actor_arn, actor_type, actor_name,
  access_key, action, bucket, resource, target_user, outcome, error_code, source_ip, user_agent,
  account, event_id)
SELECT 1700000000000 + i * 30000, 1, 'cloudtrail', i, '{"i":' || i || '}',
  'arn:aws:iam::111122223333:user/u' || u, 'IAMUser', 'u' || u, 'AKIA' || printf('%016d', u),
  action,
  CASE WHEN action = 'GetObject' THEN 'bucket-' || ((u * 11 + (h / 2000000) % 7) % 500) END,
  CASE WHEN action = 'UpdateAccessKey' THEN 'AKIA' || printf('%016d', (u + 1) % 2000) END,
  CASE WHEN action = 'UpdateAccessKey' THEN 'u' || ((u + 1) % 2000) END,
  CASE WHEN (h / 3) % 20 = 0 THEN 'failure' ELSE 'success' END,
  CASE WHEN (h / 3) % 20 = 0 THEN 'AccessDenied' END,
  ip, 'ua-' || (u % 300), '111122223333', 'ev-' || i
FROM g;
)SQL";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: graph_bench EVENTS [CASE_FILE]\n");
    return 2;
  }
  long long events = std::atoll(argv[1]);
  std::string path = argc > 2 ? argv[2] : "/tmp/cairn-graph-bench.cairn";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto store = cairn::store::CaseStore::Open(path, cairn::store::CaseStore::Mode::kCreate);
  if (!store.ok()) return Fail(store.error());
  auto& s = **store;

  auto t0 = std::chrono::steady_clock::now();
  // Nine tenths first, then the rest: the second derive measures the incremental path.
  long long bulk = events - events / 10;
  if (auto st = s.Exec("BEGIN; " + GenerateSql(1, bulk) + " COMMIT;"); !st.ok()) return Fail(st.error());
  std::printf("generated %lld events in %.1f s\n", bulk, Seconds(t0));

  t0 = std::chrono::steady_clock::now();
  cairn::graph::DeriveStats stats;
  if (auto st = cairn::graph::DeriveRelations(s, &stats); !st.ok()) return Fail(st.error());
  std::printf("DeriveRelations (full): %lld events -> %lld entities, %lld relations in %.2f s\n",
              static_cast<long long>(stats.events), static_cast<long long>(stats.entities),
              static_cast<long long>(stats.relations), Seconds(t0));

  if (auto st = s.Exec("BEGIN; " + GenerateSql(bulk + 1, events - bulk) + " COMMIT;"); !st.ok()) {
    return Fail(st.error());
  }
  t0 = std::chrono::steady_clock::now();
  if (auto st = cairn::graph::DeriveRelations(s, &stats); !st.ok()) return Fail(st.error());
  std::printf("DeriveRelations (incremental): %lld new events, %lld relations updated in %.2f s\n",
              static_cast<long long>(stats.events), static_cast<long long>(stats.relations),
              Seconds(t0));
  t0 = std::chrono::steady_clock::now();
  if (auto st = cairn::graph::DeriveRelations(s, &stats); !st.ok()) return Fail(st.error());
  std::printf("DeriveRelations (nothing new): %.3f s\n", Seconds(t0));

  t0 = std::chrono::steady_clock::now();
  auto graph = cairn::graph::EntityGraph::Load(s);
  if (!graph.ok()) return Fail(graph.error());
  std::printf("EntityGraph::Load: %zu vertices, %zu edges in %.2f s\n", graph->entities().size(),
              graph->edges().size(), Seconds(t0));

  const int kRepeats = 20;
  t0 = std::chrono::steady_clock::now();
  size_t found = 0;
  for (int r = 0; r < kRepeats; ++r) {
    auto a = graph->Resolve("user:u" + std::to_string(r * 7));
    if (!a.ok()) return Fail(a.error());
    found += graph->Neighbors((*a)->id, {}).size();
  }
  std::printf("Resolve + Neighbors: %.2f ms each (%zu relations seen)\n",
              Seconds(t0) * 1000 / kRepeats, found);
  std::vector<cairn::graph::EntityId> buckets;
  for (const auto& entity : graph->entities()) {
    if (entity.kind == cairn::graph::kKindBucket) buckets.push_back(entity.id);
  }
  if (buckets.empty()) return Fail(cairn::Error::Internal("no buckets generated"));
  t0 = std::chrono::steady_clock::now();
  size_t hops = 0;
  for (int r = 0; r < kRepeats; ++r) {
    auto a = graph->Resolve("user:u" + std::to_string(r));
    if (!a.ok()) return Fail(a.error());
    auto path = graph->ShortestPath((*a)->id, buckets[buckets.size() - 1 - r % buckets.size()], {});
    if (!path.ok()) return Fail(path.error());
    hops += path->size();
  }
  std::printf("ShortestPath user -> bucket: %.2f ms each (%zu hops in all)\n",
              Seconds(t0) * 1000 / kRepeats, hops);
  t0 = std::chrono::steady_clock::now();
  size_t reached = 0;
  for (int r = 0; r < kRepeats; ++r) {
    char key[32];
    std::snprintf(key, sizeof(key), "AKIA%016d", r);
    auto a = graph->Resolve(key);
    if (!a.ok()) return Fail(a.error());
    cairn::graph::WalkOptions options;
    options.max_depth = 2;
    reached += graph->BlastRadius((*a)->id, options).size();
  }
  std::printf("BlastRadius key, depth 2: %.2f ms each (%zu reached in all)\n",
              Seconds(t0) * 1000 / kRepeats, reached);
  return 0;
}
