#pragma once
// The event-block reader of a scan (store/event_blocks.h): yields the decoded blocks of a case up
// to the keyword watermark that a filter keeps, in id order. For a case file it works on a thread
// of its own, with its own read-only connection, reading and decoding a few blocks ahead of the
// consumer (the query's operators), so the two overlap on two cores. Not a public header.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/result.h"
#include "engine/store/case_store.h"
#include "engine/store/event_blocks.h"

namespace cairn::query {

class BlockScan {
 public:
  // keep(first_id, last_id, min_ts, max_ts, sources): whether a block may hold an event of the
  // scan. Called on the reader's thread: it must only read state that does not change during
  // the scan.
  using KeepFn = std::function<bool(int64_t first_id, int64_t last_id, int64_t min_ts, int64_t max_ts,
                                    const std::vector<int64_t>& sources)>;

  // header_only(first_id): whether the scan needs only the ids, times and sources of that kept
  // block, not its text (DecodedBlock::DecodeHeader: a prefix of the blob is read). Null: every
  // block is decoded whole. Called on the reader's thread, like keep.
  using HeaderOnlyFn = std::function<bool(int64_t first_id)>;

  // threaded: read ahead on a thread, when the case has at least min_threaded_blocks blocks (a
  // second connection costs a few milliseconds) and is a file (an in-memory case has one
  // connection).
  BlockScan(store::CaseStore& store, KeepFn keep, bool threaded, int64_t min_threaded_blocks,
            HeaderOnlyFn header_only = nullptr);

  // A share of a parallel scan, read on the calling thread: of the blocks that end at or below
  // `through` and that keep() keeps, those this share claims. Every share walks the kept blocks in
  // the same order and takes the k-th (counting from 0) when it draws k from *claims: the next
  // block goes to whichever share is free first, so a share that the machine slows down takes
  // fewer (static stripes left one thread working alone for up to a fifth of a scan). The shares
  // of one `through`, keep() and counter cover each such block once; without a counter (null)
  // the one share takes every block. blocks_skipped() counts the blocks keep() drops, the same in
  // every share.
  struct Stripe {
    int64_t through = 0;
    std::atomic<int64_t>* claims = nullptr;
  };
  BlockScan(store::CaseStore& store, KeepFn keep, Stripe stripe, HeaderOnlyFn header_only = nullptr);

  // The error of a block whose blob does not decode.
  static Error Damaged(int64_t first_id);

  // The keyword watermark (meta kw_indexed_through): the last id every block scan may read.
  static Result<int64_t> Watermark(store::CaseStore& store);
  ~BlockScan();  // stops the reader
  BlockScan(const BlockScan&) = delete;
  BlockScan& operator=(const BlockScan&) = delete;

  // The next block kept, or nullptr after the last one. A block stays valid until the next call.
  // Errors: kCorruptInput (a damaged block), kIo.
  Result<const store::DecodedBlock*> Next();

  // Stops the reader (idempotent). Needed before the counts below when Next() was not called
  // until it returned nullptr.
  void Stop();

  // After Stop() or Next() returning nullptr: blocks decoded and skipped, and the last id of the
  // blocks seen (0: none); the events above it are not in any block read.
  int64_t blocks_read() const { return read_; }
  int64_t blocks_skipped() const { return skipped_; }
  int64_t blocks_header_only() const { return header_only_read_; }
  int64_t through() const { return through_; }

 private:
  // Moves st to the next block kept and decodes it into *out; false after the last one.
  Result<bool> ReadNext(store::CaseStore& store, store::Statement& st, store::DecodedBlock* out);
  void Run();

  store::CaseStore& store_;
  KeepFn keep_;
  HeaderOnlyFn header_only_;
  int64_t read_ = 0, skipped_ = 0, through_ = 0, header_only_read_ = 0;
  Stripe stripe_;
  bool striped_ = false;
  int64_t kept_ = 0;    // blocks kept so far, of every share
  int64_t claim_ = -1;  // the kept block this share drew and has not reached yet (-1: none)

  // Scratch of ReadNext (used by one thread: the reader's, or the consumer's when synchronous).
  ByteBuffer data_;
  std::unique_ptr<store::CaseStore::BlobReader> blobs_;  // of the connection ReadNext reads
  std::vector<int64_t> sources_;

  // Synchronous reading: the statement on the consumer's connection, one block at a time.
  bool threaded_ = false;
  std::unique_ptr<store::Statement> sync_st_;
  store::DecodedBlock sync_block_;

  // Threaded reading.
  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::deque<std::unique_ptr<store::DecodedBlock>> ready_;
  std::vector<std::unique_ptr<store::DecodedBlock>> free_;
  std::unique_ptr<store::DecodedBlock> current_;  // handed to the consumer
  bool done_ = false, stop_ = false;
  Status error_ = Ok();
  std::thread thread_;
};

}  // namespace cairn::query
