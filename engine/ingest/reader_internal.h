#pragma once
// Streaming file input of the ingest module (internal): a file's bytes in chunks, gunzipped on the
// fly when the file starts with the gzip magic, so that a big file is never held whole.
// Thread-safety: one thread at a time per reader.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "engine/common/result.h"

namespace cairn::ingest::internal {

class FileReader {
 public:
  FileReader();
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Opens path. Errors: kIo with the system's reason.
  Status Open(const std::string& path);

  // Appends up to max_bytes of (decompressed) content to out. Returns the number of bytes
  // appended; 0 only at the end. Damaged gzip data ends the stream early: what was decompressed
  // before the damage is returned and gzip_error() says what happened (the messages are those of
  // Gunzip). Errors: kIo (a read error).
  Result<size_t> Read(std::string* out, size_t max_bytes);

  bool gzip() const { return gzip_; }
  // Empty, or why the gzip stream ended early ("truncated gzip: ...", "corrupt gzip data ...").
  const std::string& gzip_error() const { return gzip_error_; }
  // Bytes of the file read so far (compressed size for gzip).
  int64_t raw_bytes() const { return raw_bytes_; }
  // Bytes returned so far.
  int64_t bytes_out() const { return bytes_out_; }

 private:
  Result<size_t> ReadRaw(char* buf, size_t max_bytes);

  struct Zlib;
  FILE* file_ = nullptr;
  bool gzip_ = false;
  bool eof_ = false;       // no more raw bytes
  bool done_ = false;      // no more output
  std::string gzip_error_;
  std::string in_;         // compressed input buffer
  size_t in_pos_ = 0;
  int64_t raw_bytes_ = 0;
  int64_t bytes_out_ = 0;
  std::unique_ptr<Zlib> zlib_;
};

// SHA-256 of a file's bytes (as stored, not decompressed), read in chunks: 64 lower-case hex
// digits. Errors: kIo.
Result<std::string> Sha256OfFile(const std::string& path, int64_t* size);

}  // namespace cairn::ingest::internal
