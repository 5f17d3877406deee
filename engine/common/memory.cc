#include "engine/common/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cairn {

void TuneAllocator() {
#if defined(__GLIBC__)
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);  // also ends glibc's sliding threshold
  (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

}  // namespace cairn
