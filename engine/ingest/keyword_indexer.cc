#include <exception>

#include "engine/ingest/keyword_indexer_internal.h"

namespace cairn::ingest::internal {

namespace {
constexpr size_t kBatchBytes = 1 << 20;  // raw text per hand-over
constexpr size_t kMaxQueued = 16;        // batches in flight before the writer waits
}  // namespace

KeywordIndexer::KeywordIndexer(int64_t flush_postings)
    : flush_postings_(flush_postings), thread_([this] { Run(); }) {
  current_.text.reserve(kBatchBytes + kBatchBytes / 4);
}

KeywordIndexer::~KeywordIndexer() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  thread_.join();
}

void KeywordIndexer::Add(int64_t id, std::string_view raw) {
  current_.text.append(raw);
  current_.ids.push_back(id);
  current_.ends.push_back(static_cast<uint32_t>(current_.text.size()));
  if (current_.text.size() >= kBatchBytes) Push(false, false);
}

void KeywordIndexer::Commit() { Push(true, false); }

void KeywordIndexer::Push(bool commit, bool finish) {
  Batch batch = std::move(current_);
  current_ = Batch();
  batch.commit = commit;
  batch.finish = finish;
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] { return queue_.size() < kMaxQueued || done_; });
    if (done_) return;  // the thread failed: Finish reports it
    queue_.push_back(std::move(batch));
    if (!free_.empty()) {
      current_ = std::move(free_.back());
      free_.pop_back();
    }
  }
  queue_cv_.notify_one();
  if (current_.text.capacity() == 0) current_.text.reserve(kBatchBytes + kBatchBytes / 4);
}

std::vector<store::KeywordSegment> KeywordIndexer::TakeReady() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<store::KeywordSegment> out;
  out.swap(ready_);
  return out;
}

Result<std::vector<store::KeywordSegment>> KeywordIndexer::Finish() {
  Push(true, true);
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] { return done_; });
  }
  thread_.join();
  if (!error_.empty()) return Error::Internal("keyword indexing failed: " + error_);
  std::vector<store::KeywordSegment> out;
  out.swap(ready_);
  return out;
}

// Thread entry point: exceptions end here (std::bad_alloc above all).
void KeywordIndexer::Run() {
  try {
    store::KeywordIndexBuilder builder;
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        queue_cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
        if (stop_) break;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      space_cv_.notify_one();
      uint32_t begin = 0;
      for (size_t idx = 0; idx < batch.ids.size(); ++idx) {
        std::string_view raw = std::string_view(batch.text).substr(begin, batch.ends[idx] - begin);
        builder.Add(batch.ids[idx], raw);
        begin = batch.ends[idx];
      }
      if (batch.commit && !builder.empty() && (batch.finish || builder.postings() >= flush_postings_)) {
        store::KeywordSegment segment = builder.TakeSegment();
        std::lock_guard<std::mutex> lock(mu_);
        ready_.push_back(std::move(segment));
      }
      if (batch.finish) break;
      batch.text.clear();
      batch.ids.clear();
      batch.ends.clear();
      batch.commit = false;
      std::lock_guard<std::mutex> lock(mu_);
      if (free_.size() < kMaxQueued) free_.push_back(std::move(batch));
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = e.what();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = "unknown exception";
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  space_cv_.notify_all();
}

}  // namespace cairn::ingest::internal
