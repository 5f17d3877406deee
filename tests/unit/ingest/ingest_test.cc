#include "engine/ingest/ingest.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <functional>
#include <map>
#include <string>

#include "engine/common/strings.h"
#include "tests/testing/testing.h"

namespace cairn::ingest {
namespace {

using store::CaseStore;

std::unique_ptr<CaseStore> MemoryCase() {
  auto s = CaseStore::OpenMemory();
  EXPECT_TRUE(s.ok());
  return std::move(s).value();
}

int64_t Scalar(CaseStore& store, const std::string& sql) { return testing::QueryInt(store, sql); }

std::map<std::string, int64_t> CountBy(CaseStore& store, const std::string& sql) {
  std::map<std::string, int64_t> out;
  auto st = store.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  while (*st->Step()) out[st->IsNull(0) ? "NULL" : std::string(st->Text(0))] = st->Int(1);
  return out;
}


IngestSummary RunIngest(CaseStore& store, std::vector<std::string> paths, IngestOptions options = {}) {
  options.paths = std::move(paths);
  auto r = Ingest(store, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : IngestSummary{};
}

TEST(IngestTest, RoundTripOfEverySharedSample) {
  auto store = MemoryCase();
  auto data = testing::SharedData();
  IngestSummary s = RunIngest(*store, {(data / "cloudtrail").string(), (data / "s3-access").string(),
                                 (data / "apache-access").string(), (data / "apache-error").string()});
  auto by_type = CountBy(*store, "SELECT source_type, count(*) FROM events GROUP BY 1");
  EXPECT_EQ(by_type["cloudtrail"], 769);
  EXPECT_EQ(by_type["s3_access"], 29);
  EXPECT_EQ(by_type["apache_access"], 20);
  EXPECT_EQ(by_type["apache_error"], 16);
  EXPECT_EQ(s.events, 769 + 29 + 20 + 16);
  EXPECT_EQ(s.duplicates, 647);
  // Only the partial panther records are rejected.
  EXPECT_EQ(s.rejects, 30);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM rejects r JOIN sources s ON s.id=r.source_id "
                           "WHERE s.path LIKE '%panther_cloudtrail_records.jsonl'"), 30);
  // Licence files are recorded (chain of custody) but not parsed; identical copies (same sha256)
  // are recorded once.
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM sources WHERE format='unknown'"), 3);
  EXPECT_EQ(s.files_skipped, 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events e JOIN sources s ON s.id=e.source_id "
                           "WHERE s.format='unknown'"), 0);
  auto s3_status = CountBy(*store, "SELECT status, count(*) FROM events WHERE source_type='s3_access' GROUP BY 1");
  EXPECT_EQ(s3_status["200"], 20);
  EXPECT_EQ(s3_status["404"], 3);
  EXPECT_EQ(s3_status["204"], 3);
  EXPECT_EQ(s3_status["304"], 1);
  EXPECT_EQ(s3_status["NULL"], 2);
  auto s3_actor = CountBy(*store, "SELECT actor_type, count(*) FROM events WHERE source_type='s3_access' GROUP BY 1");
  EXPECT_EQ(s3_actor["CanonicalUser"], 12);
  EXPECT_EQ(s3_actor["AssumedRole"], 8);
  EXPECT_EQ(s3_actor["AWSService"], 4);
  EXPECT_EQ(s3_actor["IAMUser"], 4);
  EXPECT_EQ(s3_actor["Anonymous"], 1);
  auto apache_status = CountBy(*store, "SELECT status, count(*) FROM events WHERE source_type='apache_access' GROUP BY 1");
  EXPECT_EQ(apache_status["200"], 9);
  EXPECT_EQ(apache_status["404"], 3);
  EXPECT_EQ(apache_status["400"], 5);
  EXPECT_EQ(apache_status["408"], 2);
  EXPECT_EQ(apache_status["NULL"], 1);
  // CloudTrail actors: the stratus detonations are run by one IAM user.
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events WHERE source_type='cloudtrail' AND actor_name='christophe'"),
            Scalar(*store, "SELECT count(*) FROM events WHERE source_type='cloudtrail' AND actor_arn LIKE '%:user/christophe'"));
  EXPECT_GT(Scalar(*store, "SELECT count(*) FROM collisions"), 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events WHERE dedupe IS NULL AND source_type='cloudtrail'"), 0);
  // The multi-line Apache error record is one event holding both lines.
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events WHERE source_type='apache_error' AND cairn_raw(id) LIKE '%Primary script unknown' || char(10) || '''' "), 1);
  // The bare AH00558 line takes the previous record's time.
  EXPECT_EQ(Scalar(*store, "SELECT ts FROM events WHERE error_code='AH00558'"),
            Scalar(*store, "SELECT ts FROM events WHERE error_code='AH01374'"));
  // Default categories are the format names.
  auto cats = CountBy(*store, "SELECT category, count(*) FROM source_categories GROUP BY 1");
  EXPECT_GT(cats["cloudtrail"], 0);
  EXPECT_GT(cats["s3_access"], 0);
  // Re-ingesting adds nothing.
  IngestSummary again = RunIngest(*store, {(data / "cloudtrail").string(), (data / "s3-access").string(),
                                     (data / "apache-access").string(), (data / "apache-error").string()});
  EXPECT_EQ(again.events, 0);
  EXPECT_EQ(again.files_skipped, again.files);
  EXPECT_EQ(again.files_ingested, 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events"), 834);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM rejects"), 30);
}

// Validation map per source type (osquery tests/integration/tables style): every row of the type
// must satisfy the check of each column.
using Check = std::function<bool(const store::Statement&, int)>;
Check NonEmpty() { return [](const store::Statement& st, int c) { return !st.IsNull(c) && !st.Text(c).empty(); }; }
Check NullOr(Check inner) { return [inner](const store::Statement& st, int c) { return st.IsNull(c) || inner(st, c); }; }
Check IntRange(int64_t lo, int64_t hi) {
  return [lo, hi](const store::Statement& st, int c) { return !st.IsNull(c) && st.Int(c) >= lo && st.Int(c) <= hi; };
}
Check OneOf(std::vector<std::string> allowed) {
  return [allowed](const store::Statement& st, int c) {
    return !st.IsNull(c) && std::find(allowed.begin(), allowed.end(), std::string(st.Text(c))) != allowed.end();
  };
}
Check IsNull() { return [](const store::Statement& st, int c) { return st.IsNull(c); }; }

void ValidateColumns(CaseStore& store, const std::string& type, const std::map<std::string, Check>& checks) {
  std::string cols;
  // The raw text is read from the event blocks, as every SQL reader does.
  for (const auto& [name, check] : checks) cols += (cols.empty() ? "" : ",") + (name == "raw" ? "cairn_raw(id)" : name);
  auto st = store.Prepare("SELECT " + cols + " FROM events WHERE source_type='" + type + "'");
  ASSERT_TRUE(st.ok());
  int rows = 0;
  while (*st->Step()) {
    ++rows;
    int col = 0;
    for (const auto& [name, check] : checks) {
      EXPECT_TRUE(check(*st, col)) << type << "." << name << " = '" << st->Text(col) << "'";
      ++col;
    }
  }
  EXPECT_GT(rows, 0) << type;
}

TEST(IngestTest, ColumnValidationMapPerSourceType) {
  auto store = MemoryCase();
  auto data = testing::SharedData();
  RunIngest(*store, {(data / "cloudtrail").string(), (data / "s3-access").string(),
               (data / "apache-access").string(), (data / "apache-error").string()});
  const int64_t y2000 = 946684800000, y2030 = 1893456000000;
  ValidateColumns(*store, "cloudtrail",
                  {{"ts", IntRange(y2000, y2030)}, {"raw", NonEmpty()}, {"action", NonEmpty()},
                   {"outcome", OneOf({"success", "failure"})}, {"status", IsNull()},
                   {"dedupe", [](const store::Statement& st, int c) { return !st.IsNull(c); }},
                   {"line", IntRange(1, 1000000)}});
  ValidateColumns(*store, "s3_access",
                  {{"ts", IntRange(y2000, y2030)}, {"raw", NonEmpty()}, {"bucket", NonEmpty()},
                   {"account", NonEmpty()}, {"action", NonEmpty()}, {"request_id", NonEmpty()},
                   {"actor_type", OneOf({"CanonicalUser", "AssumedRole", "IAMUser", "AWSService", "Anonymous"})},
                   {"status", NullOr(IntRange(100, 599))}, {"bytes", IntRange(0, 1LL << 40)},
                   {"outcome", NullOr(OneOf({"success", "failure"}))}, {"dedupe", IsNull()}});
  ValidateColumns(*store, "apache_access",
                  {{"ts", IntRange(y2000, y2030)}, {"raw", NonEmpty()}, {"source_ip", NonEmpty()},
                   {"status", NullOr(IntRange(100, 599))}, {"bytes", IntRange(0, 1LL << 40)},
                   {"action", NullOr(OneOf({"GET", "POST", "OPTIONS"}))}, {"event_id", IsNull()}});
  ValidateColumns(*store, "apache_error",
                  {{"ts", IntRange(y2000, y2030)}, {"raw", NonEmpty()},
                   {"error_code", NullOr([](const store::Statement& st, int c) {
                      return st.Text(c).size() == 7 && StartsWith(st.Text(c), "AH");
                    })},
                   {"status", IsNull()}});
}

TEST(IngestTest, SameEventInTwoFilesIsStoredOnceAndCollisionsAreFlagged) {
  testing::TempDir dir;
  std::string rec = R"({"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventName":"GetObject","eventID":"same-id","awsRegion":"us-east-1"})";
  std::string other = R"({"eventVersion":"1.08","eventTime":"2024-01-01T00:00:01Z","eventName":"PutObject","eventID":"same-id","awsRegion":"us-east-1"})";
  testing::WriteFile(dir / "org/AWSLogs/1/CloudTrail/x.json", "{\"Records\":[" + rec + "]}");
  testing::WriteFile(dir / "acct/AWSLogs/1/CloudTrail/y.json.gz", testing::GzipBytes("{\"Records\":[" + rec + "," + other + "]}"));
  auto store = MemoryCase();
  IngestSummary s = RunIngest(*store, {dir.path().string()});
  EXPECT_EQ(s.events, 2);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM collisions WHERE event_id='same-id'"), 1);
  EXPECT_EQ(Scalar(*store, "SELECT sum(duplicates) FROM sources"), 1);
  // A later ingest, with the eventID index kept or rebuilt: its copy is checked against the first.
  for (auto mode : {IngestOptions::EventIdIndex::kKeep, IngestOptions::EventIdIndex::kRebuild}) {
    std::string third = R"({"eventVersion":"1.08","eventTime":"2024-01-01T00:00:02Z","eventName":"DeleteObject","eventID":"same-id","awsRegion":"us-east-1","n":)" +
                        std::to_string(static_cast<int>(mode)) + "}";
    testing::TempDir later;
    testing::WriteFile(later / "z.json", "{\"Records\":[" + third + "]}");
    IngestOptions options;
    options.event_id_index = mode;
    EXPECT_EQ(RunIngest(*store, {later.path().string()}, options).events, 1);
    EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM sqlite_master WHERE name='events_event_id'"), 1);
  }
  // Events 1 (the first same-id), 2 (its other content), 3 and 4 (the later ingests).
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM collisions"), 3);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM collisions WHERE event_id = 'same-id' AND first_event = 1 AND "
                           "other_event IN (2, 3, 4)"), 3);
  EXPECT_EQ(Scalar(*store, "SELECT count(DISTINCT other_event) FROM collisions"), 3);
}

TEST(IngestTest, TruncatedGzipKeepsTheGoodPart) {
  testing::TempDir dir;
  std::string lines;
  for (int k = 0; k < 2000; ++k) {
    lines += "10.0.0." + std::to_string(k % 250) + " - - [10/Oct/2000:13:55:36 -0700] \"GET /page" +
             std::to_string(k) + " HTTP/1.0\" 200 " + std::to_string(k) + " \"-\" \"agent " +
             std::to_string(k * 7919 % 1000) + "\"\n";
  }
  std::string gz = testing::GzipBytes(lines);
  testing::WriteFile(dir / "access.log.gz", gz.substr(0, gz.size() * 2 / 3));
  auto store = MemoryCase();
  IngestSummary s = RunIngest(*store, {dir.path().string()});
  ASSERT_EQ(s.outcomes.size(), 1u);
  EXPECT_GT(s.events, 500);
  EXPECT_LT(s.events, 2000);
  EXPECT_TRUE(StartsWith(s.outcomes[0].note, "truncated gzip")) << s.outcomes[0].note;
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM rejects WHERE reason LIKE 'truncated gzip%'"), 1);
  // The last, cut line (if any) is rejected, not silently dropped: events + rejects cover it.
  EXPECT_GE(s.rejects, 1);
}

TEST(IngestTest, EmptyFilesLongLinesAndUnknownFormats) {
  testing::TempDir dir;
  testing::WriteFile(dir / "a-empty.log", "");
  testing::WriteFile(dir / "b-readme.txt", "hello\nworld\n");
  std::string s3 = "o bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID1 REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"ua\" -\n";
  testing::WriteFile(dir / "c-s3.log", s3 + "short line here\n" + std::string(1024 * 1024 + 10, 'x') + "\n" + s3);
  testing::WriteFile(dir / "d.json", R"({"name":"not cloudtrail"})");
  auto store = MemoryCase();
  IngestSummary s = RunIngest(*store, {dir.path().string()});
  ASSERT_EQ(s.outcomes.size(), 4u);
  EXPECT_EQ(s.outcomes[0].format, "empty");
  EXPECT_EQ(s.outcomes[0].note, "empty file");
  EXPECT_EQ(s.outcomes[1].format, "unknown");
  EXPECT_TRUE(StartsWith(s.outcomes[1].note, "format not recognised")) << s.outcomes[1].note;
  EXPECT_EQ(s.outcomes[2].format, "s3_access");
  EXPECT_EQ(s.outcomes[2].events, 2);
  EXPECT_EQ(s.outcomes[2].rejects, 2);
  EXPECT_EQ(s.outcomes[2].first_reject, "expected at least 18 fields, got 3");
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM rejects WHERE reason='line longer than 1 MiB (1048586 bytes)' AND line=3"), 1);
  EXPECT_EQ(s.outcomes[3].format, "cloudtrail");
  EXPECT_EQ(s.outcomes[3].rejects, 1);
  EXPECT_NE(s.outcomes[3].note.find("no CloudTrail record"), std::string::npos);
  EXPECT_EQ(s.files_unrecognised, 1);
}

TEST(IngestTest, ManySmallFilesAllLoad) {
  testing::TempDir dir;
  const int kFiles = 3000;
  for (int k = 0; k < kFiles; ++k) {
    char name[64];
    std::snprintf(name, sizeof name, "logs/2024-01-01-00-00-%02d-%016X", k % 60, k);
    testing::WriteFile(dir / name,
                       "o bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID" + std::to_string(k) +
                           " REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"ua\" -\n");
  }
  auto store = MemoryCase();
  IngestOptions options;
  options.categories = {"S3/Access", "s3_aws_logs"};
  IngestSummary s = RunIngest(*store, {dir.path().string()}, options);
  EXPECT_EQ(s.files_ingested, kFiles);
  EXPECT_EQ(s.events, kFiles);
  EXPECT_EQ(Scalar(*store, "SELECT count(DISTINCT request_id) FROM events"), kFiles);
  auto cats = CountBy(*store, "SELECT category, count(*) FROM source_categories GROUP BY 1");
  EXPECT_EQ(cats["S3/Access"], kFiles);
  EXPECT_EQ(cats["s3_aws_logs"], kFiles);
  EXPECT_EQ(cats.count("s3_access"), 0u);
}

TEST(IngestTest, SourcesFileAndFlags) {
  testing::TempDir dir;
  auto access = [](int n) {
    return "10.0.0." + std::to_string(n) + " - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 5\n";
  };
  testing::WriteFile(dir / "web01/access.log", access(1));
  testing::WriteFile(dir / "lb/www.example.com-access_log", access(2));
  testing::WriteFile(dir / "other/x.log", access(3));
  testing::WriteFile(dir / "sources.txt",
                     "# glob  key=value...\n"
                     "**/lb/*  category=Apache/Access category=lb name=\"front door\" host=lb-1\n"
                     "x.log    category=misc,web format=apache_access\n");
  auto store = MemoryCase();
  IngestOptions options;
  options.sources_file = (dir / "sources.txt").string();
  IngestSummary s = RunIngest(*store, {(dir / "web01").string(), (dir / "lb").string(), (dir / "other").string()}, options);
  ASSERT_EQ(s.events, 3);
  auto sources = store->ListSources();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 3u);
  EXPECT_EQ((*sources)[0].host, "web01");  // derived from the directory name
  EXPECT_EQ((*sources)[0].categories, std::vector<std::string>{"apache_access"});
  EXPECT_EQ((*sources)[1].host, "lb-1");
  EXPECT_EQ((*sources)[1].source_name, "front door");
  EXPECT_EQ((*sources)[1].categories, (std::vector<std::string>{"Apache/Access", "lb"}));
  EXPECT_EQ((*sources)[2].categories, (std::vector<std::string>{"misc", "web"}));
  EXPECT_EQ((*sources)[2].host, "");
}

TEST(IngestTest, Errors) {
  auto store = MemoryCase();
  IngestOptions options;
  options.paths = {"/nonexistent/cairn/evidence"};
  auto r = Ingest(*store, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  options.paths = {testing::SharedData().string()};
  options.format = "syslog-ng";
  r = Ingest(*store, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  options.format = "";
  options.apache_format = "%h %Z %t";
  EXPECT_EQ(Ingest(*store, options).error().code(), ErrorCode::kInvalidArgument);
}

TEST(IngestHelpersTest, DetectFormat) {
  EXPECT_EQ(DetectFormat("  {\"Records\":[]}"), "cloudtrail");
  EXPECT_EQ(DetectFormat("[\n{}]"), "cloudtrail");
  EXPECT_EQ(DetectFormat(testing::ReadFile(testing::SharedData() / "s3-access/elastic-beats/test.log")), "s3_access");
  EXPECT_EQ(DetectFormat(testing::ReadFile(testing::SharedData() / "apache-access/elastic-integrations/test-access-basic.log")), "apache_access");
  EXPECT_EQ(DetectFormat(testing::ReadFile(testing::SharedData() / "apache-error/elastic-integrations/test-error-basic.log")), "apache_error");
  EXPECT_EQ(DetectFormat("Jan  5 14:03:01 host sshd[1]: a\nJan  5 14:03:02 host sshd[1]: b\n"), "generic");
  EXPECT_EQ(DetectFormat("just\nsome\ntext\n"), "");
  EXPECT_EQ(DetectFormat(""), "");
}

TEST(IngestHelpersTest, GlobAndSourcesFile) {
  EXPECT_TRUE(GlobMatch("*.log", "a/b/c.log"));
  EXPECT_TRUE(GlobMatch("a/*/c.log", "a/b/c.log"));
  EXPECT_FALSE(GlobMatch("a/*.log", "a/b/c.log"));
  EXPECT_TRUE(GlobMatch("**/c.log", "a/b/c.log"));
  EXPECT_TRUE(GlobMatch("a/**/c.log", "a/c.log"));
  EXPECT_TRUE(GlobMatch("s3/2024-?" "?-*", "s3/2024-01-01-00"));
  auto rules = ParseSourcesFile("# c\n\ns3/**  category=S3/Access,s3_aws_logs host=h\n", "f");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].categories, (std::vector<std::string>{"S3/Access", "s3_aws_logs"}));
  auto bad = ParseSourcesFile("x nokey\n", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().span()->line, 1);
  EXPECT_FALSE(ParseSourcesFile("x colour=red\n", "f").ok());
}

TEST(IngestHelpersTest, ApacheHostFromPath) {
  EXPECT_EQ(ApacheHostFromPath("evidence/web01/access.log"), "web01");
  EXPECT_EQ(ApacheHostFromPath("evidence/web01/access.log.2.gz"), "web01");
  EXPECT_EQ(ApacheHostFromPath("logs/www.example.com-access_log"), "www.example.com");
  EXPECT_EQ(ApacheHostFromPath("logs/shop.example.org_error.log"), "shop.example.org");
  EXPECT_EQ(ApacheHostFromPath("/var/log/apache2/access.log"), "");
  EXPECT_EQ(ApacheHostFromPath("apache-access/elastic-integrations/test-access-basic.log"), "");
  EXPECT_EQ(ApacheHostFromPath("other_vhosts_access.log"), "");
}

TEST(IngestHelpersTest, Sha256) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace cairn::ingest
