// Streaming file input: chunked reads, gzip inflated on the fly, SHA-256 of a file in chunks.
#include <openssl/evp.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "engine/ingest/reader_internal.h"

namespace cairn::ingest::internal {

namespace {
constexpr size_t kRawChunk = 1 << 20;
}  // namespace

struct FileReader::Zlib {
  z_stream zs{};
  bool initialised = false;
  bool member_done = false;  // between gzip members: skip padding, then reset
  ~Zlib() {
    if (initialised) inflateEnd(&zs);
  }
};

FileReader::FileReader() = default;
FileReader::~FileReader() {
  if (file_) std::fclose(file_);
}

Status FileReader::Open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) return Error::Io(std::string(std::strerror(errno)));
  // Sniff the gzip magic from the first raw chunk.
  in_.resize(kRawChunk);
  CAIRN_ASSIGN_OR_RETURN(size_t n, ReadRaw(in_.data(), in_.size()));
  in_.resize(n);
  in_pos_ = 0;
  gzip_ = n >= 2 && static_cast<unsigned char>(in_[0]) == 0x1f &&
          static_cast<unsigned char>(in_[1]) == 0x8b;
  if (gzip_) {
    zlib_ = std::make_unique<Zlib>();
    if (inflateInit2(&zlib_->zs, 16 + MAX_WBITS) != Z_OK) {
      return Error::Internal("zlib initialisation failed");
    }
    zlib_->initialised = true;
  }
  return Ok();
}

Result<size_t> FileReader::ReadRaw(char* buf, size_t max_bytes) {
  if (eof_) return size_t{0};
  size_t n = std::fread(buf, 1, max_bytes, file_);
  if (n < max_bytes) {
    if (std::ferror(file_)) return Error::Io("read error");
    eof_ = true;
  }
  raw_bytes_ += static_cast<int64_t>(n);
  return n;
}

Result<size_t> FileReader::Read(std::string* out, size_t max_bytes) {
  if (done_ || max_bytes == 0) return size_t{0};
  size_t start = out->size();
  if (!gzip_) {
    // Buffered bytes of the sniff first, then the file.
    size_t from_buffer = std::min(max_bytes, in_.size() - in_pos_);
    out->append(in_, in_pos_, from_buffer);
    in_pos_ += from_buffer;
    if (in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    }
    size_t want = max_bytes - from_buffer;
    if (want > 0) {
      out->resize(start + from_buffer + want);
      auto n = ReadRaw(out->data() + start + from_buffer, want);
      if (!n.ok()) {
        out->resize(start);
        return std::move(n).error();
      }
      out->resize(start + from_buffer + *n);
    }
    size_t got = out->size() - start;
    if (got == 0) done_ = true;
    bytes_out_ += static_cast<int64_t>(got);
    return got;
  }
  z_stream& zs = zlib_->zs;
  out->resize(start + max_bytes);
  size_t produced = 0;
  auto consumed = [&]() {
    return raw_bytes_ - static_cast<int64_t>(in_.size() - in_pos_);
  };
  while (produced < max_bytes && !done_) {
    if (in_pos_ == in_.size()) {
      in_.resize(kRawChunk);
      auto n = ReadRaw(in_.data(), in_.size());
      if (!n.ok()) {
        out->resize(start);
        return std::move(n).error();
      }
      in_.resize(*n);
      in_pos_ = 0;
    }
    size_t avail = in_.size() - in_pos_;
    if (zlib_->member_done) {
      // Skip padding zeros; another gzip member may follow (concatenated .gz).
      while (in_pos_ < in_.size() && in_[in_pos_] == 0) ++in_pos_;
      if (in_pos_ == in_.size()) {
        if (eof_) done_ = true;
        continue;
      }
      inflateReset(&zs);
      zlib_->member_done = false;
      continue;
    }
    if (avail == 0 && eof_) {
      gzip_error_ = "truncated gzip: the compressed data ends after " + std::to_string(raw_bytes_) +
                    " bytes (" + std::to_string(bytes_out_ + static_cast<int64_t>(produced)) +
                    " bytes recovered)";
      done_ = true;
      break;
    }
    zs.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
    zs.avail_in = static_cast<uInt>(avail);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + start + produced);
    zs.avail_out = static_cast<uInt>(max_bytes - produced);
    int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos_ += avail - zs.avail_in;
    produced = max_bytes - zs.avail_out;
    if (rc == Z_STREAM_END) {
      zlib_->member_done = true;
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) continue;  // more input or more room needed
    gzip_error_ = "corrupt gzip data at compressed byte " + std::to_string(consumed()) + ": " +
                  (zs.msg ? zs.msg : "inflate failed") + " (" +
                  std::to_string(bytes_out_ + static_cast<int64_t>(produced)) + " bytes recovered)";
    done_ = true;
  }
  out->resize(start + produced);
  bytes_out_ += static_cast<int64_t>(produced);
  return produced;
}

Result<std::string> Sha256OfFile(const std::string& path, int64_t* size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Error::Io(std::string(std::strerror(errno)));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf(kRawChunk, '\0');
  int64_t total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    total += static_cast<int64_t>(n);
  }
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) return Error::Io("read error");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int k = 0; k < len; ++k) {
    out.push_back(kHex[digest[k] >> 4]);
    out.push_back(kHex[digest[k] & 15]);
  }
  if (size) *size = total;
  return out;
}

}  // namespace cairn::ingest::internal
