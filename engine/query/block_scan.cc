#include "engine/query/block_scan_internal.h"

#include <exception>

namespace cairn::query {

namespace {

constexpr size_t kAhead = 3;  // decoded blocks waiting for the consumer
constexpr size_t kHeaderPrefixBytes = 16 << 10;  // first read of a header-only block
constexpr size_t kHeaderOutputBytes = 24 << 10;  // and the payload bytes first decoded

constexpr const char* kBlocksSql =
    "SELECT first_id, last_id, min_ts, max_ts, sources FROM event_blocks "
    "WHERE last_id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key='kw_indexed_through') "
    "ORDER BY first_id";
constexpr const char* kStripeSql =
    "SELECT first_id, last_id, min_ts, max_ts, sources FROM event_blocks WHERE last_id <= ?1 "
    "ORDER BY first_id";


}  // namespace

Error BlockScan::Damaged(int64_t first_id) {
  return Error::CorruptInput("event block " + std::to_string(first_id) + " of the case is damaged")
      .WithHelp("re-ingest the evidence into a new case");
}

BlockScan::BlockScan(store::CaseStore& store, KeepFn keep, bool threaded, int64_t min_threaded_blocks,
                     HeaderOnlyFn header_only)
    : store_(store), keep_(std::move(keep)), header_only_(std::move(header_only)), threaded_(threaded && store.path() != ":memory:") {
  if (threaded_) {
    // A second connection costs a few milliseconds (it reads the schema): worth it for a big
    // case only. Small ones (the playbook's many queries on a demo case) stay on this thread.
    auto count = store.Prepare("SELECT count(*) FROM event_blocks");
    bool big = false;
    if (count.ok()) {
      auto row = count->Step();
      big = row.ok() && *row && count->Int(0) >= min_threaded_blocks;
    }
    threaded_ = big;
  }
  if (threaded_) thread_ = std::thread([this] { Run(); });
}

BlockScan::BlockScan(store::CaseStore& store, KeepFn keep, Stripe stripe, HeaderOnlyFn header_only)
    : store_(store), keep_(std::move(keep)), header_only_(std::move(header_only)), stripe_(stripe), striped_(true) {}

Result<int64_t> BlockScan::Watermark(store::CaseStore& store) {
  CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                         store.Prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key='kw_indexed_through'"));
  CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
  return row && !st.IsNull(0) ? st.Int(0) : 0;
}

BlockScan::~BlockScan() { Stop(); }

void BlockScan::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  space_cv_.notify_all();
  thread_.join();
}

Result<bool> BlockScan::ReadNext(store::CaseStore& store, store::Statement& st, store::DecodedBlock* out) {
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return false;
    const int64_t first_id = st.Int(0);
    through_ = std::max(through_, st.Int(1));
    if (!store::ParseBlockSources(st.Text(4), &sources_)) return Damaged(first_id);
    if (!keep_(first_id, st.Int(1), st.Int(2), st.Int(3), sources_)) {
      ++skipped_;
      continue;
    }
    if (striped_ && stripe_.claims) {
      // A new draw is never below kept_: this share took the block before it, so the counter was
      // past it already.
      if (claim_ < 0) claim_ = stripe_.claims->fetch_add(1, std::memory_order_relaxed);
      if (kept_++ != claim_) continue;
      claim_ = -1;
    }
    if (!blobs_) blobs_ = store.NewBlobReader("event_block_data", "data");
    if (header_only_ && header_only_(first_id)) {
      // The arrays lead the payload: a prefix of the blob, longer until it holds them.
      // The arrays take a few bytes per event: decoding more of the payload would be LZ4 work
      // on text nobody reads.
      size_t output = kHeaderOutputBytes;
      for (size_t want = kHeaderPrefixBytes;; want *= 4, output *= 4) {
        size_t total = 0;
        CAIRN_TRY(blobs_->ReadPrefix(first_id, want, &data_, &total));
        auto header = out->DecodeHeader(data_.view(), total, output);
        if (header == store::DecodedBlock::Header::kOk) {
          ++header_only_read_;
          break;
        }
        if (header == store::DecodedBlock::Header::kDamaged) return Damaged(first_id);
        if (data_.size() >= total && output >= (64u << 20)) return Damaged(first_id);
      }
    } else {
      CAIRN_TRY(blobs_->Read(first_id, &data_));
      if (!out->Decode(data_.view())) return Damaged(first_id);
    }
    ++read_;
    return true;
  }
}

Result<const store::DecodedBlock*> BlockScan::Next() {
  if (!threaded_) {
    if (!sync_st_) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement st, store_.Prepare(striped_ ? kStripeSql : kBlocksSql));
      if (striped_) st.Bind(1, stripe_.through);
      sync_st_ = std::make_unique<store::Statement>(std::move(st));
    }
    CAIRN_ASSIGN_OR_RETURN(bool got, ReadNext(store_, *sync_st_, &sync_block_));
    return got ? &sync_block_ : nullptr;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (current_) free_.push_back(std::move(current_));
  space_cv_.notify_one();
  ready_cv_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    current_ = std::move(ready_.front());
    ready_.pop_front();
    return current_.get();
  }
  if (!error_.ok()) return error_.error();
  return nullptr;
}

// Thread entry point: exceptions end here (std::bad_alloc above all).
void BlockScan::Run() {
  Status status = Ok();
  try {
    status = [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto store, store::CaseStore::Open(store_.path(), store::CaseStore::Mode::kReadOnly));
      // The blob reader ReadNext makes is on this connection: gone before it is.
      struct DropReader {
        std::unique_ptr<store::CaseStore::BlobReader>& reader;
        ~DropReader() { reader.reset(); }
      } drop{blobs_};
      CAIRN_ASSIGN_OR_RETURN(store::Statement st, store->Prepare(kBlocksSql));
      while (true) {
        std::unique_ptr<store::DecodedBlock> block;
        {
          std::unique_lock<std::mutex> lock(mu_);
          space_cv_.wait(lock, [&] { return stop_ || ready_.size() < kAhead; });
          if (stop_) return Ok();
          if (!free_.empty()) {
            block = std::move(free_.back());
            free_.pop_back();
          }
        }
        if (!block) block = std::make_unique<store::DecodedBlock>();
        CAIRN_ASSIGN_OR_RETURN(bool got, ReadNext(*store, st, block.get()));
        if (!got) return Ok();
        {
          std::lock_guard<std::mutex> lock(mu_);
          ready_.push_back(std::move(block));
        }
        ready_cv_.notify_one();
      }
    }();
  } catch (const std::exception& e) {
    status = Error::Internal(std::string("reading event blocks failed: ") + e.what());
  } catch (...) {
    status = Error::Internal("reading event blocks failed");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(status);
    done_ = true;
  }
  ready_cv_.notify_all();
}

}  // namespace cairn::query
