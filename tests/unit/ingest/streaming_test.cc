// Streamed ingest (big files read in chunks) against the in-memory path: the same events, ids,
// rejects and notes, whatever the chunk size.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/ingest/ingest.h"
#include "tests/testing/testing.h"

namespace cairn::ingest {
namespace {

using store::CaseStore;


std::string CloudTrailRecord(int n) {
  return R"({"eventVersion":"1.08","eventTime":"2024-01-01T00:)" + std::to_string(10 + n % 50) +
         R"(:00Z","eventName":"GetObject","eventID":"id-)" + std::to_string(n) +
         R"(","userIdentity":{"type":"IAMUser","userName":"u)" + std::to_string(n % 5) +
         R"("},"requestParameters":{"bucketName":"b","key":"k \"quoted\" {brace"}})";
}

// Every format, with lines cut by any chunk boundary, CRLF endings, an over-long line, damaged
// records, blank runs, a multi-line Apache error record, and gzip (whole and truncated).
void MakeCorpus(const std::filesystem::path& root) {
  std::string s3, access, error, generic, jsonl, pretty;
  for (int k = 0; k < 3000; ++k) {
    s3 += "79a59df900b949e5 bucket-" + std::to_string(k % 3) + " [06/Feb/2019:00:" +
          std::to_string(10 + k % 50) + ":38 +0000] 192.0.2." + std::to_string(k % 200) +
          " arn:aws:iam::111122223333:user/u" + std::to_string(k % 7) + " REQ" + std::to_string(k) +
          " REST.GET.OBJECT key" + std::to_string(k) + " \"GET /key" + std::to_string(k) +
          " HTTP/1.1\" " + (k % 11 == 0 ? "403 AccessDenied" : "200 -") +
          " 10 10 1 1 \"-\" \"agent with spaces " + std::string(static_cast<size_t>(k % 300), 'a') +
          "\" -\n";
    if (k % 500 == 7) s3 += "broken line\n\n   \n";
    if (k == 1500) s3 += std::string(1024 * 1024 + 5, 'x') + "\r\n";
    access += "10.1.0." + std::to_string(k % 250) + " - - [10/Oct/2000:13:55:36 -0700] \"GET /p" +
              std::to_string(k) + " HTTP/1.0\" " + (k % 9 == 0 ? "500" : "200") + " 5\r\n";
    error += "[Wed Oct 11 14:32:52.1" + std::to_string(10000 + k) +
             " 2000] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.1:" +
             std::to_string(1000 + k) + "] AH00037: Symbolic link not allowed\n";
    if (k % 400 == 3) error += "  continuation of the record\n";
    generic += "2024-01-0" + std::to_string(1 + k % 9) + "T00:00:00Z host app[1]: message " +
               std::to_string(k) + "\n";
    if (k % 300 == 5) generic += "a line without a time of its own\n";
    jsonl += CloudTrailRecord(k) + "\n";
    if (k % 700 == 9) jsonl += "{\"eventTime\": broken\n";
    if (k % 900 == 11) jsonl += "garbage {not json} here\n";
  }
  pretty = "{\"Records\": [\n";
  for (int k = 0; k < 200; ++k) pretty += (k ? ",\n  " : "  ") + CloudTrailRecord(5000 + k);
  pretty += "\n]}\n";
  testing::WriteFile(root / "s3/2019-02-06-00-00-00-0000000000000001", s3);
  testing::WriteFile(root / "web01/access.log", access);
  testing::WriteFile(root / "web01/access.log.1.gz", testing::GzipBytes(access + access));
  testing::WriteFile(root / "web01/error.log", "AH00558: httpd: could not determine the name\n" + error);
  testing::WriteFile(root / "sys/messages.log", "no time yet\n" + generic);
  testing::WriteFile(root / "ct/records.jsonl", jsonl);
  testing::WriteFile(root / "ct/records.jsonl.gz", testing::GzipBytes(jsonl + CloudTrailRecord(99999) + "\n"));
  testing::WriteFile(root / "ct/pretty.json", pretty);
  std::string cut = testing::GzipBytes(s3);
  testing::WriteFile(root / "s3/2019-02-06-00-00-00-0000000000000002.gz", cut.substr(0, cut.size() / 2));
  // Two gzip members (concatenated .gz), and one with damaged bytes in the middle.
  testing::WriteFile(root / "web02/access.log.gz", testing::GzipBytes(access) + testing::GzipBytes(access.substr(0, 5000)));
  std::string damaged = testing::GzipBytes(access);
  for (size_t pos = damaged.size() / 2; pos < damaged.size() / 2 + 16; ++pos) damaged[pos] = '\x55';
  testing::WriteFile(root / "web03/access.log.gz", damaged);
}

std::unique_ptr<CaseStore> Ingested(const std::filesystem::path& root, int64_t stream_above,
                                    int64_t chunk) {
  auto store = CaseStore::OpenMemory();
  EXPECT_TRUE(store.ok());
  IngestOptions options;
  options.paths = {root.string()};
  options.stream_above_bytes = stream_above;
  options.chunk_bytes = chunk;
  options.reference_time = 1704067200000;
  auto summary = Ingest(**store, options);
  EXPECT_TRUE(summary.ok()) << (summary.ok() ? "" : summary.error().ToString());
  return std::move(store).value();
}

std::vector<std::string> Rows(CaseStore& store, const std::string& sql) {
  std::vector<std::string> rows;
  auto st = store.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  while (*st->Step()) {
    std::string row;
    for (int col = 0; col < st->ColumnCount(); ++col) {
      row += st->IsNull(col) ? "NULL" : std::string(st->Text(col));
      row += '|';
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Equal row lists; on a difference, reports the first differing row (shortened).
::testing::AssertionResult SameRows(const std::vector<std::string>& got,
                                    const std::vector<std::string>& want) {
  if (got == want) return ::testing::AssertionSuccess();
  for (size_t row_idx = 0; row_idx < std::max(got.size(), want.size()); ++row_idx) {
    std::string g = row_idx < got.size() ? got[row_idx].substr(0, 300) : "(none)";
    std::string w = row_idx < want.size() ? want[row_idx].substr(0, 300) : "(none)";
    if (g != w) {
      return ::testing::AssertionFailure() << "row " << row_idx << " of " << want.size()
                                           << ": got '" << g << "', want '" << w << "'";
    }
  }
  return ::testing::AssertionFailure() << "rows differ beyond their first 300 bytes";
}

TEST(IngestStreamingTest, ChunkedFilesGiveTheSameCaseAsFilesReadWhole) {
  testing::TempDir dir;
  MakeCorpus(dir / "evidence");
  auto whole = Ingested(dir / "evidence", int64_t{1} << 40, 4 << 20);
  const std::string events = "SELECT * FROM events ORDER BY id";
  // Rejects of a damaged stream come in another order (gzip damage is known at the end).
  const std::string rejects =
      "SELECT source_id, line, offset, reason, raw FROM rejects ORDER BY source_id, line, offset";
  const std::string sources =
      "SELECT path, size, sha256, format, events, rejects, duplicates, note, first_event, "
      "last_event FROM sources ORDER BY id";
  auto whole_events = Rows(*whole, events);
  ASSERT_GT(whole_events.size(), 15000u);
  ASSERT_GT(Rows(*whole, rejects).size(), 10u);
  EXPECT_EQ(Rows(*whole, "SELECT count(*) FROM sources WHERE note LIKE 'corrupt gzip data at%'"),
            std::vector<std::string>{"1|"});
  EXPECT_EQ(Rows(*whole, "SELECT events FROM sources WHERE path LIKE '%web02/access.log.gz'"),
            std::vector<std::string>{"3071|"});  // both members: 3000 + 71 lines
  for (int64_t chunk : {4096, 65536, 1 << 20}) {
    auto streamed = Ingested(dir / "evidence", 0, chunk);
    EXPECT_TRUE(SameRows(Rows(*streamed, events), whole_events)) << "chunk " << chunk;
    EXPECT_TRUE(SameRows(Rows(*streamed, rejects), Rows(*whole, rejects))) << "chunk " << chunk;
    EXPECT_TRUE(SameRows(Rows(*streamed, sources), Rows(*whole, sources))) << "chunk " << chunk;
    EXPECT_TRUE(SameRows(Rows(*streamed, "SELECT * FROM collisions ORDER BY rowid"),
                         Rows(*whole, "SELECT * FROM collisions ORDER BY rowid")));
  }
}

TEST(IngestStreamingTest, LineOverOneMebibyteIsRejectedWithItsLength) {
  testing::TempDir dir;
  std::string s3 = "o bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID1 REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"ua\" -\n";
  testing::WriteFile(dir / "s3.log", s3 + std::string(3 * 1024 * 1024, 'y') + "\r\n" + s3);
  auto store = Ingested(dir.path(), 0, 4096);
  auto rows = Rows(*store, "SELECT line, offset, reason, length(raw) FROM rejects");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], std::to_string(2) + "|" + std::to_string(s3.size()) +
                         "|line longer than 1 MiB (3145728 bytes)|65536|");
  EXPECT_EQ(Rows(*store, "SELECT line FROM events ORDER BY id"),
            (std::vector<std::string>{"1|", "3|"}));
}

}  // namespace
}  // namespace cairn::ingest
