// cairn ingest / sources / stats / sql through the binary: exit codes, JSON totals, and kill -9 then
// rerun giving exactly the counts of a clean run.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "engine/common/strings.h"
#include "engine/store/case_store.h"
#include "tests/testing/testing.h"

namespace cairn {
namespace {

std::string Q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string Cairn(const std::string& args, int* rc, std::string* err = nullptr) {
  std::string out;
  *rc = testing::RunCommand(testing::CairnBinary() + " " + args, &out, err);
  return out;
}

// A deterministic corpus: many small S3 objects, CloudTrail delivery files (some records delivered
// twice, one gzipped), Apache logs, and a few broken lines.
void MakeCorpus(const std::filesystem::path& root, int s3_files) {
  for (int f = 0; f < s3_files; ++f) {
    std::string body;
    for (int k = 0; k < 40; ++k) {
      int n = f * 40 + k;
      body += "79a59df900b949e5 bucket-" + std::to_string(f % 3) + " [06/Feb/2019:00:" +
              std::to_string(10 + n % 50) + ":38 +0000] 192.0.2." + std::to_string(n % 200) +
              " arn:aws:iam::111122223333:user/u" + std::to_string(n % 7) + " REQ" + std::to_string(n) +
              " REST.GET.OBJECT key" + std::to_string(n) + " \"GET /key" + std::to_string(n) +
              " HTTP/1.1\" " + (n % 11 == 0 ? "403 AccessDenied" : "200 -") + " 10 10 1 1 \"-\" \"ua\" -\n";
    }
    if (f % 50 == 0) body += "broken line\n";
    char name[96];
    std::snprintf(name, sizeof name, "s3/2019-02-06-00-%02d-%02d-%016X", f / 60 % 60, f % 60, f);
    testing::WriteFile(root / name, body);
  }
  for (int f = 0; f < 12; ++f) {
    std::string records;
    for (int k = 0; k < 30; ++k) {
      int n = (f / 2) * 30 + k;  // files 2m and 2m+1 carry the same records (two trails)
      if (!records.empty()) records += ",";
      records += "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:" + std::to_string(10 + n % 50) +
                 ":00Z\",\"eventName\":\"GetObject\",\"eventID\":\"id-" + std::to_string(n) +
                 "\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"u" + std::to_string(n % 5) + "\"}}";
    }
    testing::WriteFile(root / ("cloudtrail/trail" + std::to_string(f % 2) + "/f" + std::to_string(f) + ".json"),
                       // the second trail writes the same records with other spacing
                       f % 2 == 0 ? "{\"Records\":[" + records + "]}" : "{\"Records\": [\n" + records + "\n]}\n");
  }
  std::string access;
  for (int k = 0; k < 500; ++k) {
    access += "10.1.0." + std::to_string(k % 250) + " - - [10/Oct/2000:13:55:36 -0700] \"GET /p" +
              std::to_string(k) + " HTTP/1.0\" " + (k % 9 == 0 ? "500" : "200") + " 5\n";
  }
  testing::WriteFile(root / "web01/access.log", access);
}

struct Counts {
  int64_t events = -1, rejects = -1, sources = -1, duplicates = -1, collisions = -1, source_events = -1;
  bool operator==(const Counts& o) const {
    return events == o.events && rejects == o.rejects && sources == o.sources &&
           duplicates == o.duplicates && collisions == o.collisions && source_events == o.source_events;
  }
};

Counts ReadCounts(const std::filesystem::path& case_path) {
  Counts c;
  auto store = store::CaseStore::Open(case_path.string(), store::CaseStore::Mode::kReadWrite);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().ToString());
  if (!store.ok()) return c;
  auto q = [&](const char* sql) {
    auto st = (*store)->Prepare(sql);
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->Step());
    return st->Int(0);
  };
  c.events = q("SELECT count(*) FROM events");
  c.rejects = q("SELECT count(*) FROM rejects");
  c.sources = q("SELECT count(*) FROM sources");
  c.duplicates = q("SELECT coalesce(sum(duplicates),0) FROM sources");
  c.collisions = q("SELECT count(*) FROM collisions");
  c.source_events = q("SELECT coalesce(sum(events),0) FROM sources");
  return c;
}

pid_t Spawn(const std::string& evidence, const std::string& case_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::string bin = testing::CairnBinary();
    execl(bin.c_str(), bin.c_str(), "ingest", evidence.c_str(), "--case", case_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST(IngestCliTest, KillNineAtAnyMomentThenRerunCompletesExactlyOnce) {
  testing::TempDir dir;
  MakeCorpus(dir / "evidence", 900);
  std::string evidence = (dir / "evidence").string();
  int rc = 0;
  Cairn("ingest " + Q(dir / "evidence") + " --case " + Q(dir / "clean.cairn"), &rc);
  ASSERT_EQ(rc, 0);
  Counts clean = ReadCounts(dir / "clean.cairn");
  EXPECT_EQ(clean.events, 900 * 40 + 6 * 30 + 500);
  EXPECT_EQ(clean.duplicates, 6 * 30);
  EXPECT_EQ(clean.rejects, 18);
  EXPECT_EQ(clean.sources, 900 + 12 + 1);

  // Kill at several moments: right away, and after a growing delay. Then rerun to completion.
  auto killed = dir / "killed.cairn";
  bool saw_partial = false;
  for (int delay_ms : {0, 30, 150, 400, 900}) {
    pid_t pid = Spawn(evidence, killed.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (std::filesystem::exists(killed)) {
      Counts partial = ReadCounts(killed);  // the case opens after every kill
      EXPECT_LE(partial.events, clean.events);
      EXPECT_EQ(partial.events, partial.source_events);  // no event without its source row
      if (partial.events > 0 && partial.events < clean.events) saw_partial = true;
    }
  }
  Cairn("ingest " + Q(dir / "evidence") + " --case " + Q(killed), &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(ReadCounts(killed) == clean);
  // And once more: nothing changes.
  Cairn("ingest " + Q(dir / "evidence") + " --case " + Q(killed), &rc);
  EXPECT_EQ(rc, 0);
  Counts again = ReadCounts(killed);
  EXPECT_TRUE(again == clean) << again.events << " vs " << clean.events;
  if (!saw_partial) GTEST_LOG_(INFO) << "no kill landed mid-way on this machine";
}

TEST(IngestCliTest, StatsAndSourcesJsonTotals) {
  testing::TempDir dir;
  auto data = testing::SharedData();
  int rc = 0;
  std::string err;
  Cairn("ingest " + Q(data / "s3-access") + " " + Q(data / "apache-access") + " --case " + Q(dir / "c.cairn") +
          " --category S3/Access --category s3_aws_logs",
      &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("ingested "), std::string::npos) << err;
  std::string out = Cairn("stats --case " + Q(dir / "c.cairn") + " --format json", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(StartsWith(out, "{\"events\":57,\"rejects\":0,")) << out;
  EXPECT_NE(out.find("\"S3/Access\":57"), std::string::npos) << out;
  EXPECT_NE(out.find("\"s3_access\":29"), std::string::npos) << out;
  out = Cairn("sources --case " + Q(dir / "c.cairn") + " --format json", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(StartsWith(out, "{\"events\":57,\"rejects\":0,")) << out;
  EXPECT_NE(out.find("\"sha256\":\""), std::string::npos);
  out = Cairn("sources --case " + Q(dir / "c.cairn"), &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_NE(out.find("s3_access"), std::string::npos);
}

TEST(IngestCliTest, ExitCodes) {
  testing::TempDir dir;
  int rc = 0;
  std::string err;
  Cairn("ingest /nonexistent/evidence --case " + Q(dir / "c.cairn"), &rc, &err);
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
  testing::WriteFile(dir / "notes.txt", "hello\nworld\n");
  Cairn("ingest " + Q(dir / "notes.txt") + " --case " + Q(dir / "c.cairn"), &rc, &err);
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("nothing ingestible"), std::string::npos) << err;
  Cairn("ingest " + Q(dir / "notes.txt") + " --case " + Q(dir / "c.cairn") + " --format bogus", &rc, &err);
  EXPECT_EQ(rc, 2);
  unsetenv("CAIRN_CASE");
  Cairn("ingest " + Q(dir / "notes.txt"), &rc, &err);  // no --case and no CAIRN_CASE
  EXPECT_EQ(rc, 2);
  // Rejects are reported but are not a failure.
  testing::WriteFile(dir / "s3.log", "o b [06/Feb/2019:00:00:38 +0000] ip r id op k \"GET / HTTP/1.1\" 200 - 1 - 1 - \"-\" \"ua\" -\nx y z w\n");
  Cairn("ingest " + Q(dir / "s3.log") + " --case " + Q(dir / "d.cairn"), &rc, &err);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(err.find("1 line rejected in"), std::string::npos) << err;
  EXPECT_NE(err.find("expected at least 18 fields, got 4"), std::string::npos) << err;
}

// cairn sql: one read-only statement; the raw text through cairn_raw(id) is each line of the
// evidence; writes, several statements and bad SQL fail with their exit codes.
TEST(IngestCliTest, SqlReadsTheCaseWithTheRawText) {
  testing::TempDir dir;
  std::string access;
  for (int k = 0; k < 300; ++k) {
    access += "10.1.0." + std::to_string(k % 250) + " - - [10/Oct/2000:13:55:36 -0700] \"GET /p" +
              std::to_string(k) + " HTTP/1.0\" " + (k % 9 == 0 ? "500" : "200") + " 5\n";
  }
  testing::WriteFile(dir / "web01/access.log", access);
  int rc = 0;
  std::string err;
  Cairn("ingest " + Q(dir / "web01") + " --case " + Q(dir / "c.cairn"), &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  std::string out = Cairn("sql \"SELECT status, count(*) AS n FROM events GROUP BY 1 ORDER BY 1\" --case " +
                              Q(dir / "c.cairn") + " --format csv",
                          &rc, &err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_EQ(out, "status,n\n200,266\n500,34\n");
  // Every event's text is its line of the file, in order.
  out = Cairn("sql \"SELECT cairn_raw(id) AS raw FROM events ORDER BY id\" --case " + Q(dir / "c.cairn") +
                  " --format csv",
              &rc, &err);
  EXPECT_EQ(rc, 0) << err;
  std::string expected = "raw\n";
  for (size_t pos = 0; pos < access.size();) {
    size_t nl = access.find('\n', pos);
    std::string line = access.substr(pos, nl - pos);
    std::string quoted;
    for (char c : line) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    expected += "\"" + quoted + "\"\n";
    pos = nl + 1;
  }
  EXPECT_EQ(out, expected);
  out = Cairn("sql \"SELECT id, cairn_raw(id) AS raw FROM events WHERE status = 500 LIMIT 1\" --case " +
                  Q(dir / "c.cairn") + " --format jsonl",
              &rc, &err);
  EXPECT_EQ(out, "{\"id\":1,\"raw\":\"10.1.0.0 - - [10/Oct/2000:13:55:36 -0700] \\\"GET /p0 HTTP/1.0\\\" 500 5\"}\n");
  // The case is evidence: read-only.
  Cairn("sql \"DELETE FROM events\" --case " + Q(dir / "c.cairn"), &rc, &err);
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("readonly database"), std::string::npos) << err;
  Cairn("sql \"SELECT 1; DELETE FROM events\" --case " + Q(dir / "c.cairn"), &rc, &err);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("one statement"), std::string::npos) << err;
  Cairn("sql \"SELEC 1\" --case " + Q(dir / "c.cairn"), &rc, &err);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("syntax error"), std::string::npos) << err;
  out = Cairn("sql \"SELECT count(*) AS n FROM events\" --case " + Q(dir / "c.cairn") + " --format csv", &rc);
  EXPECT_EQ(out, "n\n300\n");
}

}  // namespace
}  // namespace cairn
