#include "kernel/page_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

#include "tests/unit/support.h"

namespace septum {
namespace {

using test::FailsMentioning;

constexpr uint64_t kPage = PageAllocator::kPageSize;
constexpr uint64_t kRamBase = 0x40000000;
constexpr uint64_t kRamSize = uint64_t{64} << 20;

// 64 MiB of RAM at 1 GiB as a single free range: 16384 pages, the first of
// which holds the bitmap.
class PageAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(map_.add({kRamBase, kRamSize}).is_ok());
    Status status = allocator_.init(map_);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }

  test::PhysicalMemory memory_{kRamBase, kRamSize};
  MemoryMap map_;
  PageAllocator allocator_;
};

TEST_F(PageAllocatorTest, ManagesEveryPageButTheBitmap) {
  EXPECT_EQ(allocator_.managed_pages(), kRamSize / kPage - 1);
  EXPECT_EQ(allocator_.free_pages(), allocator_.managed_pages());
}

TEST_F(PageAllocatorTest, SinglePagesComeInAddressOrder) {
  EXPECT_EQ(allocator_.alloc(), kRamBase + kPage);
  EXPECT_EQ(allocator_.alloc(0), kRamBase + 2 * kPage);
  EXPECT_EQ(allocator_.free_pages(), allocator_.managed_pages() - 2);
}

TEST_F(PageAllocatorTest, HigherOrdersAreNaturallyAligned) {
  std::vector<std::pair<uint64_t, uint64_t>> taken;  // (base, end)
  for (unsigned round = 0; round < 2; ++round) {
    for (unsigned order = 0; order <= 12; ++order) {
      auto pa = allocator_.alloc(order);
      ASSERT_TRUE(pa) << "order " << order;
      uint64_t size = kPage << order;
      EXPECT_EQ(*pa % size, 0u) << "order " << order << " at " << std::hex << *pa;
      EXPECT_GE(*pa, kRamBase + kPage);
      EXPECT_LE(*pa + size, kRamBase + kRamSize);
      for (auto [base, end] : taken) EXPECT_TRUE(*pa >= end || *pa + size <= base) << std::hex << *pa;
      taken.emplace_back(*pa, *pa + size);
    }
  }
}

TEST_F(PageAllocatorTest, FirstHugeBlockSkipsTheBitmapPage) {
  // The first 2 MiB contain the bitmap page, so the first 2 MiB block is the next one.
  EXPECT_EQ(allocator_.alloc(9), kRamBase + (uint64_t{2} << 20));
  // Pages below it are still free.
  EXPECT_EQ(allocator_.alloc(), kRamBase + kPage);
}

TEST_F(PageAllocatorTest, OrdersTooLargeForTheRegionOrTheAllocatorFail) {
  EXPECT_EQ(allocator_.alloc(PageAllocator::kMaxOrder), std::nullopt);  // 1 GiB in 64 MiB
  EXPECT_EQ(allocator_.alloc(PageAllocator::kMaxOrder + 1), std::nullopt);
  // 32 MiB blocks: the first 32 MiB hold the bitmap, so only one fits.
  EXPECT_EQ(allocator_.alloc(13), kRamBase + (uint64_t{32} << 20));
  EXPECT_EQ(allocator_.alloc(13), std::nullopt);
  EXPECT_EQ(allocator_.free_pages(), allocator_.managed_pages() - 8192);
}

TEST_F(PageAllocatorTest, ExhaustionReturnsNullopt) {
  std::set<uint64_t> pages;
  while (auto pa = allocator_.alloc()) ASSERT_TRUE(pages.insert(*pa).second) << "handed out twice: " << *pa;
  EXPECT_EQ(pages.size(), allocator_.managed_pages());
  EXPECT_EQ(allocator_.free_pages(), 0u);
  EXPECT_EQ(pages.count(kRamBase), 0u) << "the bitmap page was handed out";
  EXPECT_EQ(allocator_.alloc(), std::nullopt);
  EXPECT_EQ(allocator_.alloc(1), std::nullopt);

  // A freed page is the next one handed out.
  ASSERT_TRUE(allocator_.free(kRamBase + 0x123000).is_ok());
  EXPECT_EQ(allocator_.free_pages(), 1u);
  EXPECT_EQ(allocator_.alloc(), kRamBase + 0x123000);
}

TEST_F(PageAllocatorTest, FreeRestoresFreePages) {
  uint64_t before = allocator_.free_pages();
  auto page = allocator_.alloc();
  auto block = allocator_.alloc(4);
  ASSERT_TRUE(page && block);
  EXPECT_EQ(allocator_.free_pages(), before - 17);
  ASSERT_TRUE(allocator_.free(*block, 4).is_ok());
  ASSERT_TRUE(allocator_.free(*page).is_ok());
  EXPECT_EQ(allocator_.free_pages(), before);
  // The same addresses come back.
  EXPECT_EQ(allocator_.alloc(4), block);
  EXPECT_EQ(allocator_.alloc(), page);
}

TEST_F(PageAllocatorTest, DoubleFree) {
  auto page = allocator_.alloc();
  ASSERT_TRUE(page);
  ASSERT_TRUE(allocator_.free(*page).is_ok());
  uint64_t free_pages = allocator_.free_pages();
  EXPECT_TRUE(FailsMentioning(allocator_.free(*page), "double free"));
  EXPECT_EQ(allocator_.free_pages(), free_pages);
}

TEST_F(PageAllocatorTest, FreeOfABlockThatIsPartlyFreeChangesNothing) {
  auto block = allocator_.alloc(2);
  ASSERT_TRUE(block);
  ASSERT_TRUE(allocator_.free(*block + 2 * kPage, 1).is_ok());
  uint64_t free_pages = allocator_.free_pages();
  EXPECT_TRUE(FailsMentioning(allocator_.free(*block, 2), "double free"));
  EXPECT_EQ(allocator_.free_pages(), free_pages);
  // The half that was still allocated still is.
  ASSERT_TRUE(allocator_.free(*block, 1).is_ok());
}

TEST_F(PageAllocatorTest, MisalignedFree) {
  auto block = allocator_.alloc(2);
  ASSERT_TRUE(block);
  EXPECT_TRUE(FailsMentioning(allocator_.free(*block + kPage, 2), "misaligned"));
  EXPECT_TRUE(FailsMentioning(allocator_.free(*block + 8, 0), "misaligned"));
  EXPECT_TRUE(FailsMentioning(allocator_.free(*block, PageAllocator::kMaxOrder + 1), "misaligned"));
}

TEST_F(PageAllocatorTest, ForeignAddresses) {
  EXPECT_TRUE(FailsMentioning(allocator_.free(0x1000), "not managed memory"));
  EXPECT_TRUE(FailsMentioning(allocator_.free(kRamBase + kRamSize), "not managed memory"));
  EXPECT_TRUE(FailsMentioning(allocator_.free(kRamBase), "not managed memory")) << "the bitmap page";
  // Covers the bitmap page and the first managed page.
  EXPECT_TRUE(FailsMentioning(allocator_.free(kRamBase, 1), "not managed memory"));
}

TEST(PageAllocatorInit, NoUsableMemory) {
  MemoryMap map;
  PageAllocator allocator;
  EXPECT_TRUE(FailsMentioning(allocator.init(map), "no usable free memory"));
  ASSERT_TRUE(map.add({kRamBase, kPage}).is_ok());  // room for the bitmap only
  EXPECT_TRUE(FailsMentioning(allocator.init(map), "no usable free memory"));
}

TEST(PageAllocatorRegions, EveryRegionKeepsItsOwnBitmap) {
  test::PhysicalMemory memory(kRamBase, kRamSize);
  MemoryMap map;
  ASSERT_TRUE(map.add({kRamBase, 0x100000}).is_ok());             // 256 pages
  ASSERT_TRUE(map.add({kRamBase + 0x200000, kPage}).is_ok());     // bitmap only: skipped
  ASSERT_TRUE(map.add({kRamBase + 0x400000, 0x400000}).is_ok());  // 1024 pages
  ASSERT_TRUE(map.add({kRamBase + 0x900000, 0x3000}).is_ok());    // 3 pages
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  EXPECT_EQ(allocator.managed_pages(), 255u + 1023u + 2u);

  std::set<uint64_t> pages;
  while (auto pa = allocator.alloc()) ASSERT_TRUE(pages.insert(*pa).second);
  EXPECT_EQ(pages.size(), allocator.managed_pages());
  for (const Range& range : map.ranges()) EXPECT_EQ(pages.count(range.base), 0u) << "bitmap page " << range.base;
  for (uint64_t pa : pages) {
    bool inside = false;
    for (const Range& range : map.ranges()) inside |= pa >= range.base && pa < range.end();
    EXPECT_TRUE(inside) << std::hex << pa;
  }
  EXPECT_EQ(pages.count(kRamBase + 0x200000), 0u);

  // Freeing works in every region.
  ASSERT_TRUE(allocator.free(kRamBase + 0x1000).is_ok());
  ASSERT_TRUE(allocator.free(kRamBase + 0x7ff000).is_ok());
  ASSERT_TRUE(allocator.free(kRamBase + 0x902000).is_ok());
  EXPECT_EQ(allocator.free_pages(), 3u);
}

TEST(PageAllocatorRegions, LargeBlocksComeFromTheRegionWhereTheyFit) {
  test::PhysicalMemory memory(kRamBase, kRamSize);
  MemoryMap map;
  ASSERT_TRUE(map.add({kRamBase, 0x100000}).is_ok());
  ASSERT_TRUE(map.add({kRamBase + 0x800000, 0x1000000}).is_ok());
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  // 4 MiB does not fit in the first 1 MiB region; in the second one the
  // bitmap occupies the first 4 MiB-aligned block.
  EXPECT_EQ(allocator.alloc(10), kRamBase + 0xc00000);
}

TEST(PageAllocatorRegions, BitmapSpanningSeveralPages) {
  // 32768 + 64 pages need 4104 bytes of bitmap: two pages.
  constexpr uint64_t kSize = (uint64_t{32768} + 64) * kPage;
  test::PhysicalMemory memory(kRamBase, kSize);
  MemoryMap map;
  ASSERT_TRUE(map.add({kRamBase, kSize}).is_ok());
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  EXPECT_EQ(allocator.managed_pages(), 32768u + 64u - 2u);
  EXPECT_EQ(allocator.alloc(), kRamBase + 2 * kPage);

  uint64_t count = 1;
  uint64_t last = 0;
  while (auto pa = allocator.alloc()) {
    ++count;
    last = *pa;
  }
  EXPECT_EQ(count, allocator.managed_pages());
  EXPECT_EQ(last, kRamBase + kSize - kPage);
}

}  // namespace
}  // namespace septum
