#pragma once
// A byte buffer for hot loops that refill it again and again (decoded blocks, blobs read from
// SQLite): Resize() never initialises bytes (std::string::resize writes zeros over every new
// byte) and never gives memory back. Move-only.
//
// Buffers of 1 MiB and more are placed on 2 MiB boundaries and offered to the kernel for
// transparent huge pages (madvise; Linux's default THP mode): their first touch then costs one
// page fault per 2 MiB rather than one per 4 KiB, and page faults are dear on virtual machines
// (a tenth of a block scan's CPU went to them).

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "engine/common/memory.h"

namespace cairn {

namespace internal {
// Memory for a ByteBuffer of `size` bytes (big ones aligned and advised, see above); nullptr when
// out of memory. Freed with std::free.
char* AllocateBufferBytes(size_t size);
}  // namespace internal

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&&) = default;
  ByteBuffer& operator=(ByteBuffer&&) = default;

  // size bytes of unspecified content; earlier content is kept only when no growth was needed.
  void Resize(size_t size) {
    if (size > capacity_) {
      size_t grown = capacity_ + capacity_ / 2;
      size_t want = size > grown ? size : grown;
      char* bytes = internal::AllocateBufferBytes(want);
      if (bytes == nullptr) throw std::bad_alloc();
      if (want >= (size_t{64} << 10)) PopulateForWrite(bytes, want);  // common/memory.h
      data_.reset(bytes);
      capacity_ = want;
    }
    size_ = size;
  }
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char[], Free> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace cairn
