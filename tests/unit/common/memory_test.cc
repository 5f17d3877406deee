#include "engine/common/memory.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace cairn {
namespace {

constexpr size_t kPage = 4096;

// An anonymous mapping of `pages` pages nobody has touched yet, unmapped at the end of the test.
class Untouched {
 public:
  explicit Untouched(size_t pages) : bytes_(pages * kPage) {
    base_ = static_cast<unsigned char*>(
        mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  }
  ~Untouched() {
    if (base_ != MAP_FAILED) munmap(base_, bytes_);
  }
  bool ok() const { return base_ != MAP_FAILED; }
  unsigned char* data() const { return base_; }
  // Which of the pages are resident (mincore).
  std::vector<bool> Resident() const {
    std::vector<unsigned char> vec(bytes_ / kPage);
    EXPECT_EQ(mincore(base_, bytes_, vec.data()), 0) << std::strerror(errno);
    std::vector<bool> out;
    for (unsigned char c : vec) out.push_back((c & 1) != 0);
    return out;
  }

 private:
  size_t bytes_;
  unsigned char* base_;
};

bool KernelPopulates() {
  Untouched probe(1);
  return probe.ok() && madvise(probe.data(), kPage, MADV_POPULATE_WRITE) == 0;
}

TEST(PopulateForWriteTest, MapsOnlyThePagesWhollyInsideTheRange) {
  if (sysconf(_SC_PAGESIZE) != static_cast<long>(kPage)) GTEST_SKIP() << "pages are not 4 KiB here";
  if (!KernelPopulates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux < 5.14)";
  Untouched m(8);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.Resident(), std::vector<bool>(8, false));
  // From the middle of page 1 to the middle of page 6: pages 2-5 are wholly inside.
  PopulateForWrite(m.data() + kPage + 100, 5 * kPage);
  EXPECT_EQ(m.Resident(), (std::vector<bool>{false, false, true, true, true, true, false, false}));
}

TEST(PopulateForWriteTest, KeepsWhatIsAlreadyWrittenAndReadsZerosElsewhere) {
  Untouched m(6);
  ASSERT_TRUE(m.ok());
  for (size_t i = 0; i < kPage; ++i) m.data()[2 * kPage + i] = static_cast<unsigned char>(i * 7 + 1);
  PopulateForWrite(m.data(), 6 * kPage);
  for (size_t i = 0; i < kPage; ++i) {
    ASSERT_EQ(m.data()[2 * kPage + i], static_cast<unsigned char>(i * 7 + 1)) << "byte " << i;
  }
  for (size_t page : {0, 1, 3, 4, 5}) {
    for (size_t i = 0; i < kPage; ++i) ASSERT_EQ(m.data()[page * kPage + i], 0) << page << ":" << i;
  }
}

TEST(PopulateForWriteTest, RangesShorterThanAPageOrEmptyDoNothing) {
  Untouched m(2);
  ASSERT_TRUE(m.ok());
  PopulateForWrite(m.data() + 10, 0);
  PopulateForWrite(m.data() + 10, kPage);  // crosses a boundary but holds no whole page
  PopulateForWrite(nullptr, 0);
  EXPECT_EQ(m.Resident(), std::vector<bool>(2, false));
}

}  // namespace
}  // namespace cairn
