#pragma once
// A byte buffer for hot loops that refill it again and again (decoded blocks, blobs read from
// SQLite): Resize() never initialises bytes (std::string::resize writes zeros over every new
// byte) and never gives memory back. Move-only.

#include <cstddef>
#include <memory>
#include <string_view>

namespace cairn {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&&) = default;
  ByteBuffer& operator=(ByteBuffer&&) = default;

  // size bytes of unspecified content; earlier content is kept only when no growth was needed.
  void Resize(size_t size) {
    if (size > capacity_) {
      size_t grown = capacity_ + capacity_ / 2;
      capacity_ = size > grown ? size : grown;
      data_.reset(new char[capacity_]);
    }
    size_ = size;
  }
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace cairn
