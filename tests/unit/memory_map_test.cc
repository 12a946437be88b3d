#include "kernel/memory_map.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "tests/unit/support.h"

namespace septum {
namespace {

using test::FailsMentioning;

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;  // (base, end)

Ranges ranges_of(const MemoryMap& map) {
  Ranges out;
  for (const Range& r : map.ranges()) out.emplace_back(r.base, r.end());
  return out;
}

TEST(MemoryMap, StartsEmpty) {
  MemoryMap map;
  EXPECT_TRUE(map.ranges().empty());
  EXPECT_EQ(map.total_bytes(), 0u);
}

TEST(MemoryMap, AddKeepsBanksSorted) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x80000000, 0x1000000}).is_ok());
  ASSERT_TRUE(map.add({0x40000000, 0x1000000}).is_ok());
  ASSERT_TRUE(map.add({0x60000000, 0x2000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x41000000}, {0x60000000, 0x60002000}, {0x80000000, 0x81000000}}));
  EXPECT_EQ(map.total_bytes(), 0x2002000u);
}

TEST(MemoryMap, AddShrinksInwardToWholePages) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000001, 0x3000}).is_ok());  // [0x40000001, 0x40003001)
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40001000, 0x40003000}}));
}

TEST(MemoryMap, AddOfLessThanAWholePageIsIgnored) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000800, 0x1000}).is_ok());
  ASSERT_TRUE(map.add({0x50000000, 0}).is_ok());
  EXPECT_TRUE(map.ranges().empty());
}

TEST(MemoryMap, AdjacentBanksAreAllowed) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x1000}).is_ok());
  ASSERT_TRUE(map.add({0x40001000, 0x1000}).is_ok());
  EXPECT_EQ(map.total_bytes(), 0x2000u);
}

TEST(MemoryMap, OverlappingBanksAreAnError) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  EXPECT_TRUE(FailsMentioning(map.add({0x4000f000, 0x2000}), "overlaps another bank"));
  EXPECT_TRUE(FailsMentioning(map.add({0x3ffff000, 0x2000}), "[0x3ffff000, 0x40001000) overlaps"));
  EXPECT_TRUE(FailsMentioning(map.add({0x40001000, 0x1000}), "overlaps"));
  EXPECT_TRUE(FailsMentioning(map.add({0x3f000000, 0x2000000}), "overlaps"));
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}}));
}

TEST(MemoryMap, ReserveInTheMiddleSplitsARange) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x100000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40010000, 0x2000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}, {0x40012000, 0x40100000}}));
  EXPECT_EQ(map.total_bytes(), 0x100000u - 0x2000u);
}

TEST(MemoryMap, ReserveAtEitherEndTrimsARange) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x100000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40000000, 0x1000}).is_ok());
  ASSERT_TRUE(map.reserve({0x400ff000, 0x1000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40001000, 0x400ff000}}));
}

TEST(MemoryMap, ReserveGrowsOutwardToWholePages) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x100000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40010800, 0x1000}).is_ok());  // touches two pages
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}, {0x40012000, 0x40100000}}));
  ASSERT_TRUE(map.reserve({0x40020fff, 1}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}, {0x40012000, 0x40020000}, {0x40021000, 0x40100000}}));
}

TEST(MemoryMap, ReserveOfTheWholeRangeRemovesIt) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.add({0x50000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.reserve({0x3fff0000, 0x20000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x50000000, 0x50010000}}));
}

TEST(MemoryMap, ReserveSpanningBanks) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.add({0x40020000, 0x10000}).is_ok());
  ASSERT_TRUE(map.add({0x40040000, 0x10000}).is_ok());
  ASSERT_TRUE(map.add({0x40060000, 0x10000}).is_ok());
  // Trims the end of the first bank, swallows the next two, trims the start
  // of the last.
  ASSERT_TRUE(map.reserve({0x40008000, 0x60000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40008000}, {0x40068000, 0x40070000}}));
}

TEST(MemoryMap, ReserveOutsideRamChangesNothing) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.reserve({0x10000000, 0x1000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40010000, 0x1000}).is_ok());
  ASSERT_TRUE(map.reserve({0x3ffff000, 0x1000}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}}));
}

TEST(MemoryMap, ReserveOfNothingChangesNothing) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40004000, 0}).is_ok());
  ASSERT_TRUE(map.reserve({0x40008800, 0}).is_ok());
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40010000}}));
}

TEST(MemoryMap, ReserveReachingTheTopOfTheAddressSpace) {
  MemoryMap map;
  ASSERT_TRUE(map.add({0x40000000, 0x10000}).is_ok());
  ASSERT_TRUE(map.reserve({0x40008000, ~uint64_t{0}}).is_ok());  // wraps around
  EXPECT_EQ(ranges_of(map), (Ranges{{0x40000000, 0x40008000}}));
}

TEST(MemoryMap, TooManyBanks) {
  MemoryMap map;
  for (uint64_t i = 0; i < MemoryMap::kMaxRanges; ++i) {
    ASSERT_TRUE(map.add({0x40000000 + i * 0x10000, 0x1000}).is_ok()) << i;
  }
  EXPECT_TRUE(FailsMentioning(map.add({0x80000000, 0x1000}), "more than 32 free ranges"));
  EXPECT_EQ(map.ranges().size(), MemoryMap::kMaxRanges);
}

TEST(MemoryMap, SplitBeyondCapacity) {
  MemoryMap map;
  for (uint64_t i = 0; i < MemoryMap::kMaxRanges; ++i) {
    ASSERT_TRUE(map.add({0x40000000 + i * 0x10000, 0x4000}).is_ok()) << i;
  }
  // Trimming needs no new slot...
  ASSERT_TRUE(map.reserve({0x40000000, 0x1000}).is_ok());
  // ...but punching a hole does.
  EXPECT_TRUE(FailsMentioning(map.reserve({0x40012000, 0x1000}), "more than 32 free ranges"));
}

}  // namespace
}  // namespace septum
