// Event blocks as ingest builds them: they hold every event's text exactly (the only copy since
// schema 4), queries read them and answer as the events table does (with the keyword watermark
// anywhere, events above it coming from SQL), and a case from before them gets them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/ingest/ingest.h"
#include "engine/query/query.h"
#include "engine/store/case_store.h"
#include "engine/store/event_blocks.h"
#include "tests/testing/testing.h"

namespace cairn::ingest {
namespace {

using store::CaseStore;

int64_t Scalar(CaseStore& store, const std::string& sql) { return testing::QueryInt(store, sql); }

std::string Table(const query::QueryTable& t) {
  std::string out;
  for (const auto& c : t.columns) out += c + "\t";
  out += "\n";
  for (const auto& row : t.rows) {
    for (const auto& v : row) out += query::RenderValue(v) + "\t";
    out += "\n";
  }
  return out;
}

IngestOptions Evidence(const std::filesystem::path& dir) {
  auto data = testing::SharedData();
  IngestOptions options;
  options.paths = {(data / "cloudtrail").string(), (data / "s3-access").string(),
                   (data / "apache-access").string(), (data / "apache-error").string(), dir.string()};
  options.batch_events = 100;
  options.batch_files = 3;
  options.keyword_flush_postings = 3000;  // many segments, so blocks cut at segment ends too
  return options;
}

// Aggregate queries (unordered: the block path) over every kind of scope and operator.
const std::vector<std::string>& Queries() {
  static const std::vector<std::string> q = {
      "* | count",
      "* | count by _sourceCategory, _format",
      "* | sum(_size) as bytes, max(_messageTime) as last by _sourceName",
      "_sourceCategory=*access* | count by _sourceCategory",
      "_sourceCategory=cloudtrail | json auto | count by eventName | sort by _count desc, eventName",
      "_sourceCategory=cloudtrail | json \"userIdentity.type\" as t nodrop | count by t",
      "_sourceCategory=s3_access OR _sourceCategory=apache_access | parse \"HTTP/1.1\\\" * \" as status | count by status",
      "_sourceCategory=apache_access | parse regex \"^(?<ip>\\S+)\" | count_distinct(ip)",
      "NOT _sourceCategory=cloudtrail | timeslice 1h | count by _timeslice",
      "NOT GET | count",
      "* | where _size > 300 | count by _format",
      "_sourceCategory=apache_error | parse \"[client *]\" as client nodrop | count by client | sort by client",
      "* | timeslice 1d | count by _timeslice, _sourceCategory | transpose row _timeslice column _sourceCategory",
      "_sourceCategory=apache_access | parse \"HTTP/1.1\\\" * \" as code | avg(code), min(code), "
      "max(code), pct(code, 50, 95), stddev(code), sum(code) by _sourceName",
      "_sourceCategory=cloudtrail | json \"userIdentity.type\" as t | where t = \"iamuser\" | count",
      "_sourceCategory=s3_access AND GET | count by _sourceName",
      "\"HTTP/1.1\" | timeslice 1d | count by _timeslice",
      "_sourceCategory=cloudtrail OR GET | count",
      // json auto from leaf columns, or from the text where they cannot stand in for it: every
      // event in scope (text ones too), a dropped or absent path, a later _raw, a field of the
      // query that a leaf would fill.
      "_sourceCategory=cloudtrail | json auto keys \"userIdentity.userName\", \"sourceIPAddress\" | "
      "count by %\"userIdentity.userName\", sourceIPAddress | sort by _count desc, sourceIPAddress",
      "* | json auto keys \"eventName\", \"userIdentity.type\", \"requestParameters.bucketName\" | "
      "count by eventName, %\"userIdentity.type\", %\"requestParameters.bucketName\"",
      "_sourceCategory=cloudtrail | json auto keys \"eventTime\", \"resources\", \"EVENTID\" | "
      "count_distinct(eventTime), count_distinct(resources), count_distinct(EVENTID)",
      "_sourceCategory=cloudtrail | json auto keys \"errorCode\" | where _raw contains \"Denied\" | count by errorCode",
      "_sourceCategory=cloudtrail | json auto keys \"eventName\" | count by eventName, eventSource",
      // Keywords the index decides alone (whole ASCII words under 32 bytes) and ones it does not:
      // a word running on into UTF-8 bytes, 31 and 32 letters of a 5000-letter word.
      "_sourceCategory=cloudtrail AND \"iamuser\" AND NOT _sourceCategory=nothing | count by _sourceName",
      "Ren | count",
      "Ren\xC3\xA9 | count",
      std::string(31, 'Q') + " | count",
      std::string(32, 'q') + " | count",
      "_sourceCategory=nothing-matches-this | count",
  };
  return q;
}

// Each query's table, then its notices (the where hint among them). *parallel: the queries whose
// operators ran on more than one thread.
std::vector<std::string> RunAll(CaseStore& s, bool blocks, int64_t* blocks_read, int threads = 2,
                                int* parallel = nullptr) {
  std::vector<std::string> out;
  query::QueryOptions options;
  options.use_event_blocks = blocks;
  options.threads = threads;
  options.read_ahead_min_blocks = 1;  // read ahead on this small case too
  *blocks_read = 0;
  if (parallel) *parallel = 0;
  for (const auto& q : Queries()) {
    auto t = query::RunQueryTable(s, q, options);
    EXPECT_TRUE(t.ok()) << q << ": " << t.error().ToString();
    if (!t.ok()) {
      out.push_back("error");
      continue;
    }
    if (!blocks) {
      EXPECT_EQ(t->result.stats.blocks_read, 0) << q;
    }
    *blocks_read += t->result.stats.blocks_read;
    if (parallel && t->result.stats.threads > 1) ++*parallel;
    std::string answer = Table(*t);
    for (const auto& n : t->result.notices) answer += "note: " + n + "\n";
    out.push_back(answer);
  }
  return out;
}

TEST(EventBlocksIngestTest, BlocksHoldEveryEventAndQueriesAgreeWithTheEventsTable) {
  testing::TempDir dir;
  testing::WriteFile(dir / "ev" / "app.log",
                     "2019-02-06T00:00:01Z user Ren\xC3\xA9 logged in\n"
                     "2019-02-06T00:00:03Z token " + std::string(5000, 'q') + " end\n");
  auto store = CaseStore::Open((dir / "c.cairn").string(), CaseStore::Mode::kCreate);
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  auto r = Ingest(s, Evidence(dir / "ev"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const int64_t events = Scalar(s, "SELECT count(*) FROM events");
  ASSERT_GT(events, 800);
  EXPECT_EQ(*s.GetMeta(store::kEventBlocksMetaKey), std::optional<std::string>("1"));
  EXPECT_EQ(Scalar(s, "SELECT sum(events) FROM event_blocks"), events);
  EXPECT_EQ(Scalar(s, "SELECT max(last_id) FROM event_blocks"), **s.KeywordWatermark());
  EXPECT_GT(Scalar(s, "SELECT count(*) FROM event_blocks"), 3);
  // The raw text lives in the blocks only.
  EXPECT_EQ(Scalar(s, "SELECT count(*) FROM pragma_table_info('events') WHERE name='raw'"), 0);

  // Every event, decoded, matches its events row and its evidence: a text event is its line of
  // the file (an Apache error record starts with it), a CloudTrail event is the record with its
  // eventID. cairn_raw(id) gives the same text.
  std::map<std::string, std::vector<std::string>> lines_of;
  auto lines = [&](const std::string& path) -> const std::vector<std::string>& {
    auto it = lines_of.find(path);
    if (it != lines_of.end()) return it->second;
    std::string text = testing::ReadFile(path);
    if (path.size() > 3 && path.substr(path.size() - 3) == ".gz") {
      std::string plain;
      EXPECT_TRUE(Gunzip(text, &plain).ok()) << path;
      text = plain;
    }
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(pos, nl - pos);
      // Ingest drops a line's trailing blanks and carriage return (TrimLineEnd).
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      out.push_back(line);
      pos = nl + 1;
    }
    return lines_of[path] = out;
  };
  auto blocks = s.Prepare("SELECT data FROM event_block_data ORDER BY first_id");
  auto rows = s.Prepare(
      "SELECT e.id, e.ts, e.source_id, e.source_type, e.line, coalesce(e.event_id, ''), s.path, cairn_raw(e.id), "
      "CASE WHEN e.source_type = 'cloudtrail' THEN coalesce(json_extract(cairn_raw(e.id), '$.eventID'), '') END "
      "FROM events e JOIN sources s ON s.id = e.source_id "
      "ORDER BY e.id");
  ASSERT_TRUE(blocks.ok() && rows.ok());
  store::DecodedBlock d;
  int64_t seen = 0, text_events = 0, cloudtrail_events = 0;
  while (*blocks->Step()) {
    ASSERT_TRUE(d.Decode(blocks->Blob(0)));
    for (size_t k = 0; k < d.size(); ++k) {
      ASSERT_TRUE(*rows->Step());
      ASSERT_EQ(d.id(k), rows->Int(0));
      ASSERT_EQ(d.ts(k), rows->Int(1)) << d.id(k);
      ASSERT_EQ(d.source_id(k), rows->Int(2)) << d.id(k);
      ASSERT_EQ(d.raw(k), rows->Text(7)) << d.id(k);
      const std::string type(rows->Text(3));
      if (type == "cloudtrail") {
        EXPECT_EQ(rows->Text(8), rows->Text(5)) << d.id(k);
        ++cloudtrail_events;
      } else {
        const auto& file = lines(std::string(rows->Text(6)));
        const int64_t line = rows->Int(4);
        ASSERT_GE(line, 1) << d.id(k);
        ASSERT_LE(line, static_cast<int64_t>(file.size())) << d.id(k);
        const std::string& expected = file[static_cast<size_t>(line - 1)];
        if (type == "apache_error") {
          EXPECT_EQ(d.raw(k).substr(0, expected.size()), expected) << d.id(k);
        } else {
          EXPECT_EQ(d.raw(k), expected) << d.id(k);
        }
        ++text_events;
      }
      ++seen;
    }
  }
  EXPECT_FALSE(*rows->Step());
  EXPECT_EQ(text_events + cloudtrail_events, events);
  EXPECT_GT(text_events, 50);
  EXPECT_GT(cloudtrail_events, 100);
  EXPECT_EQ(seen, events);

  int64_t read_with = 0, read_without = 0;
  int parallel = 0;
  std::vector<std::string> with_blocks = RunAll(s, true, &read_with, 2, &parallel);
  std::vector<std::string> without = RunAll(s, false, &read_without);
  EXPECT_GT(read_with, 0);
  // Header-only blocks: a keyword the index decides, then operators that need no text.
  for (bool exact : {true, false}) {
    query::QueryOptions options;
    options.read_ahead_min_blocks = 1;
    auto t = query::RunQueryTable(s, exact ? "_sourceCategory=s3_access AND GET | count by _sourceName"
                                           : "_sourceCategory=s3_access AND \"GET /\" | count by _sourceName",
                                  options);
    ASSERT_TRUE(t.ok());
    EXPECT_GT(t->result.stats.blocks_read, 0);
    EXPECT_EQ(t->result.stats.blocks_header_only, exact ? t->result.stats.blocks_read : 0);
  }
  // Leaf columns: used where they can stand in for the text, not where they cannot.
  for (const auto& [q, expect_leaves] : std::vector<std::pair<std::string, bool>>{
           {"_sourceCategory=cloudtrail | json auto keys \"userIdentity.userName\" | count by %\"userIdentity.userName\"", true},
           {"_sourceCategory=cloudtrail | json auto keys \"errorCode\" | where _raw contains \"x\" | count", false},
           {"_sourceCategory=cloudtrail | json auto keys \"eventName\" | count by eventName, eventSource", false},
           {"_sourceCategory=cloudtrail | json auto maxdepth 1 keys \"eventName\" | count by eventName", false}}) {
    query::QueryOptions options;
    options.read_ahead_min_blocks = 1;
    auto t = query::RunQueryTable(s, q, options);
    ASSERT_TRUE(t.ok()) << q;
    EXPECT_EQ(t->result.stats.blocks_from_leaves > 0, expect_leaves) << q;
    if (expect_leaves) {
      EXPECT_EQ(t->result.stats.blocks_from_leaves, Scalar(s, "SELECT count(DISTINCT first_id) FROM event_block_leaves"));
    }
  }
  // Two threads ran every query but three: the two that name a typed column (`status`,
  // `bytes`), which only the events table has, and the keyword lookup under an OR (no lookup
  // that every match satisfies: the events table answers).
  EXPECT_EQ(parallel, static_cast<int>(Queries().size()) - 3);
  // Three threads: the blocks split three ways, the same answers.
  int64_t read_three = 0;
  int parallel_three = 0;
  std::vector<std::string> three = RunAll(s, true, &read_three, 3, &parallel_three);
  EXPECT_EQ(read_three, read_with);
  EXPECT_EQ(parallel_three, parallel);
  // On the consumer's thread alone (no read-ahead): the same blocks, the same answers.
  int64_t read_one_thread = 0;
  int parallel_one = 0;
  std::vector<std::string> one_thread = RunAll(s, true, &read_one_thread, 1, &parallel_one);
  EXPECT_EQ(read_one_thread, read_with);
  EXPECT_EQ(parallel_one, 0);
  for (size_t k = 0; k < Queries().size(); ++k) {
    EXPECT_EQ(with_blocks[k], without[k]) << Queries()[k];
    EXPECT_EQ(one_thread[k], without[k]) << Queries()[k];
    EXPECT_EQ(three[k], without[k]) << Queries()[k];
    // Every query but the last finds something (a header line and at least one row).
    if (k + 1 < Queries().size()) {
      EXPECT_GE(std::count(with_blocks[k].begin(), with_blocks[k].end(), '\n'), 2) << Queries()[k];
    }
  }
  // The per-format counts are the real samples' (a wrong block path would change them).
  EXPECT_NE(with_blocks[1].find("cloudtrail"), std::string::npos);
  // The where hint counts the values of both threads' shares: every CloudTrail event's type.
  const size_t hint_query = static_cast<size_t>(
      std::find_if(Queries().begin(), Queries().end(), [](const std::string& q) { return q.find("iamuser") != std::string::npos; }) -
      Queries().begin());
  ASSERT_LT(hint_query, Queries().size());
  const std::string& hinted = with_blocks[hint_query];
  EXPECT_NE(hinted.find("note: t has "), std::string::npos) << hinted;
  EXPECT_NE(hinted.find("'IAMUser' differs from \"iamuser\" only in letter case"), std::string::npos) << hinted;

  // Time ranges: only the blocks that overlap are read, and the answer is the events table's.
  query::QueryOptions ranged;
  ranged.from = Scalar(s, "SELECT min(ts) FROM events WHERE source_type='apache_access'");
  ranged.to = *ranged.from + 3600 * 1000;
  std::string ranged_answer[2];
  for (bool use : {true, false}) {
    ranged.use_event_blocks = use;
    auto t = query::RunQueryTable(s, "* | count by _format", ranged);
    ASSERT_TRUE(t.ok());
    ranged_answer[use ? 1 : 0] = Table(*t);
    if (use) {
      EXPECT_GT(t->result.stats.blocks_skipped, 0);
    }
  }
  EXPECT_EQ(ranged_answer[1], ranged_answer[0]);
  EXPECT_NE(ranged_answer[1].find("apache_access"), std::string::npos);

  // The watermark lower (as after a killed ingest): the events above the blocks it covers come
  // from SQL, and nothing is counted twice or lost.
  int64_t third = Scalar(s, "SELECT last_id FROM event_blocks ORDER BY first_id LIMIT 1 OFFSET 2");
  ASSERT_TRUE(s.SetMeta("kw_indexed_through", std::to_string(third)).ok());
  int64_t read_partial = 0;
  std::vector<std::string> partial = RunAll(s, true, &read_partial);
  EXPECT_GT(read_partial, 0);
  EXPECT_LT(read_partial, read_with);
  for (size_t k = 0; k < Queries().size(); ++k) EXPECT_EQ(partial[k], without[k]) << Queries()[k];
}

// A case from before schema 4 (here schema 2: no blocks) holds its raw text in events.raw. Read
// only, it answers from SQL with that text; opened for writing, its text moves into blocks and the
// column goes; the answers never change.
TEST(EventBlocksIngestTest, ACaseWithRawTextInItsRowsAnswersAndMovesItIntoBlocks) {
  testing::TempDir dir;
  testing::WriteFile(dir / "ev" / "app.log", "2019-02-06T00:00:01Z hello\n");
  auto path = (dir / "c.cairn").string();
  std::vector<std::string> baseline;
  int64_t events = 0;
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.ok());
    auto& s = **store;
    ASSERT_TRUE(Ingest(s, Evidence(dir / "ev")).ok());
    int64_t read = 0;
    baseline = RunAll(s, true, &read);
    EXPECT_GT(read, 0);
    events = Scalar(s, "SELECT count(*) FROM events");
    // What a schema-2 case holds: the text in the rows, no blocks, no flag.
    ASSERT_TRUE(s.Exec("ALTER TABLE events ADD COLUMN raw TEXT; UPDATE events SET raw = cairn_raw(id); "
                       "DELETE FROM event_blocks; DELETE FROM event_block_data; DELETE FROM meta WHERE key='event_blocks'; "
                       "UPDATE meta SET value='2' WHERE key='schema_version'").ok());
    ASSERT_EQ(Scalar(s, "SELECT count(*) FROM events WHERE raw IS NULL"), 0);
  }
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kReadOnly);
    ASSERT_TRUE(store.ok());
    auto& s = **store;
    int64_t read = 0;
    std::vector<std::string> before = RunAll(s, true, &read);
    EXPECT_EQ(read, 0);
    for (size_t k = 0; k < Queries().size(); ++k) EXPECT_EQ(before[k], baseline[k]) << Queries()[k];
    EXPECT_EQ(Scalar(s, "SELECT count(*) FROM events WHERE cairn_raw(id) IS raw"), events);
  }
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    auto& s = **store;
    EXPECT_EQ(Scalar(s, "SELECT count(*) FROM pragma_table_info('events') WHERE name='raw'"), 0);
    EXPECT_EQ(Scalar(s, "SELECT sum(events) FROM event_blocks"), events);
    EXPECT_EQ(*s.GetMeta("schema_version"), std::optional<std::string>(std::to_string(store::kSchemaVersion)));
    auto r = Ingest(s, Evidence(dir / "ev"));  // the same files: no new event
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->events, 0);
    int64_t read = 0;
    std::vector<std::string> after = RunAll(s, true, &read);
    EXPECT_GT(read, 0);
    for (size_t k = 0; k < Queries().size(); ++k) EXPECT_EQ(after[k], baseline[k]) << Queries()[k];
  }
}

TEST(EventBlocksIngestTest, ADamagedBlockFailsTheQueryOnAnyThreadWithItsId) {
  testing::TempDir dir;
  testing::WriteFile(dir / "ev" / "app.log", "2019-02-06T00:00:01Z hello\n");
  auto store = CaseStore::Open((dir / "c.cairn").string(), CaseStore::Mode::kCreate);
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  ASSERT_TRUE(Ingest(s, Evidence(dir / "ev")).ok());
  ASSERT_GT(Scalar(s, "SELECT count(*) FROM event_blocks"), 3);
  // Blocks are shared out in turn: the second one kept goes to the second thread.
  const int64_t second = Scalar(s, "SELECT first_id FROM event_blocks ORDER BY first_id LIMIT 1 OFFSET 1");
  ASSERT_TRUE(s.Exec("UPDATE event_block_data SET data = x'0100000000' WHERE first_id = " + std::to_string(second)).ok());
  for (int threads : {1, 2, 3}) {
    query::QueryOptions options;
    options.threads = threads;
    options.read_ahead_min_blocks = 1;
    auto t = query::RunQueryTable(s, "* | count by _format", options);
    ASSERT_FALSE(t.ok()) << threads;
    EXPECT_EQ(t.error().code(), ErrorCode::kCorruptInput) << threads;
    EXPECT_EQ(t.error().message(), "event block " + std::to_string(second) + " of the case is damaged") << threads;
  }
}

}  // namespace
}  // namespace cairn::ingest
