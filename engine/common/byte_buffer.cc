#include "engine/common/byte_buffer.h"

#include <sys/mman.h>

namespace cairn::internal {

char* AllocateBufferBytes(size_t size) {
  constexpr size_t kHuge = size_t{2} << 20;
  if (size < (size_t{1} << 20)) return static_cast<char*>(std::malloc(size));
  // Whole 2 MiB pages, so that the advice covers the buffer.
  const size_t rounded = (size + kHuge - 1) / kHuge * kHuge;
  void* p = std::aligned_alloc(kHuge, rounded);
  if (p != nullptr) (void)madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
  return static_cast<char*>(p);
}

}  // namespace cairn::internal
