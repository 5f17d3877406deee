#pragma once
// The keyword indexer of an ingest: a thread that tokenizes the raw text of the events the writer
// inserted and accumulates their postings (store::KeywordIndexBuilder), so that SQLite's writer
// thread does not. It turns postings into a segment only at a commit point (everything added
// before Commit() is in the case for good), once enough have gathered; the writer then stores the
// segment in its next transaction (CaseStore::WriteKeywordSegment), which also raises the
// watermark. A killed ingest therefore never leaves an indexed id that is not committed, and the
// next ingest indexes what is above the watermark.
//
// Thread-safety: Add, Commit, TakeReady and Finish are called by one (the writer) thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/common/result.h"
#include "engine/store/keyword_index.h"

namespace cairn::ingest::internal {

class KeywordIndexer {
 public:
  // A segment is cut at the first commit point after flush_postings postings.
  explicit KeywordIndexer(int64_t flush_postings);
  ~KeywordIndexer();  // stops the thread; what was not taken is dropped
  KeywordIndexer(const KeywordIndexer&) = delete;
  KeywordIndexer& operator=(const KeywordIndexer&) = delete;

  // Queues an event (raw is copied). Ids must increase. Blocks while the thread is far behind.
  void Add(int64_t id, std::string_view raw);
  // Everything added so far is committed.
  void Commit();
  // Segments ready to be written, in order.
  std::vector<store::KeywordSegment> TakeReady();
  // After a last Commit(): waits for the thread and returns the remaining segments, in order
  // (the last one holding everything not yet taken). Errors: kInternal (the thread failed).
  Result<std::vector<store::KeywordSegment>> Finish();

 private:
  struct Batch {
    std::string text;
    std::vector<int64_t> ids;
    std::vector<uint32_t> ends;  // end offset of each event's text
    bool commit = false;         // a commit point after this batch's events
    bool finish = false;
  };
  void Push(bool commit, bool finish);
  void Run();

  const int64_t flush_postings_;
  Batch current_;
  std::mutex mu_;
  std::condition_variable queue_cv_;  // the thread waits for batches
  std::condition_variable space_cv_;  // the writer waits for room / for the end
  std::deque<Batch> queue_;
  std::vector<Batch> free_;           // processed batches, their buffers reused (no regrowth)
  std::vector<store::KeywordSegment> ready_;
  std::string error_;
  bool done_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cairn::ingest::internal
