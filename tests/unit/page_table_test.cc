#include "kernel/page_table.h"

#include <gtest/gtest.h>

#include "kernel/arch.h"
#include "kernel/arch/aarch64/descriptor.h"
#include "tests/unit/support.h"

namespace septum {
namespace {

using namespace aarch64;
using test::FailsMentioning;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kTableMemoryBase = 0x40000000;
constexpr uint64_t kTableMemorySize = 16 * kMiB;

constexpr MapAttributes kNormalData{MemoryType::normal, true, false};
constexpr MapAttributes kNormalCode{MemoryType::normal, false, true};
constexpr MapAttributes kDevice{MemoryType::device, true, false};

struct Leaf {
  uint64_t descriptor;
  unsigned level;
};

// Walks the tables in memory independently of PageTable::translate.
std::optional<Leaf> find_leaf(const PageTable& table, uint64_t va) {
  uint64_t table_pa = table.root();
  for (unsigned level = 0; level < kLevels; ++level) {
    const auto* entries = static_cast<const uint64_t*>(arch::phys_to_virt(table_pa));
    uint64_t entry = entries[(va >> level_shift(level)) % kEntriesPerTable];
    if (!(entry & kValid)) return std::nullopt;
    if (level < kLevels - 1 && (entry & kTableOrPage)) {
      table_pa = entry & kOutputAddressMask;
      continue;
    }
    return Leaf{entry, level};
  }
  return std::nullopt;
}

// Page tables are allocated from 16 MiB of host memory at 1 GiB; the
// addresses they map are never touched, so they can be anything.
class PageTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(map_.add({kTableMemoryBase, kTableMemorySize}).is_ok());
    ASSERT_TRUE(allocator_.init(map_).is_ok());
    Status status = table_.init();
    ASSERT_TRUE(status.is_ok()) << status.message();
  }

  void expect_translation(uint64_t va, uint64_t pa, unsigned level, MapAttributes attributes) {
    auto translation = table_.translate(va);
    ASSERT_TRUE(translation) << std::hex << va;
    EXPECT_EQ(translation->pa, pa) << std::hex << va;
    EXPECT_EQ(translation->level, level) << std::hex << va;
    EXPECT_EQ(translation->attributes, attributes) << std::hex << va;
  }

  test::PhysicalMemory memory_{kTableMemoryBase, kTableMemorySize};
  MemoryMap map_;
  PageAllocator allocator_;
  PageTable table_{allocator_};
};

TEST_F(PageTableTest, InitAllocatesAnEmptyRoot) {
  EXPECT_EQ(table_.root() % 4096, 0u);
  EXPECT_EQ(table_.stats().tables, 1u);
  EXPECT_EQ(table_.translate(0), std::nullopt);
  EXPECT_EQ(table_.translate(0x40000000), std::nullopt);
}

TEST_F(PageTableTest, GigabyteAlignedRangeUsesGigabyteBlocks) {
  ASSERT_TRUE(table_.map(0x80000000, 0x80000000, 2 * kGiB, kNormalData).is_ok());
  EXPECT_EQ(table_.stats().blocks_1g, 2u);
  EXPECT_EQ(table_.stats().blocks_2m, 0u);
  EXPECT_EQ(table_.stats().pages_4k, 0u);
  EXPECT_EQ(table_.stats().tables, 2u);  // root and one level-1 table
  expect_translation(0x80000000, 0x80000000, 1, kNormalData);
  expect_translation(0x92345678, 0x92345678, 1, kNormalData);
  expect_translation(0xffffffff, 0xffffffff, 1, kNormalData);
  EXPECT_EQ(table_.translate(0x7fffffff), std::nullopt);
  EXPECT_EQ(table_.translate(0x100000000), std::nullopt);
}

TEST_F(PageTableTest, OutputAddressMayDifferFromInput) {
  ASSERT_TRUE(table_.map(0x8000000000, 0x40000000, kGiB, kDevice).is_ok());
  EXPECT_EQ(table_.stats().blocks_1g, 1u);
  expect_translation(0x8000000000 + 0x1234, 0x40001234, 1, kDevice);
}

TEST_F(PageTableTest, TwoMegabyteAlignedRangeUsesTwoMegabyteBlocks) {
  ASSERT_TRUE(table_.map(0x40200000, 0x80200000, 6 * kMiB, kNormalCode).is_ok());
  EXPECT_EQ(table_.stats().blocks_1g, 0u);
  EXPECT_EQ(table_.stats().blocks_2m, 3u);
  EXPECT_EQ(table_.stats().pages_4k, 0u);
  EXPECT_EQ(table_.stats().tables, 3u);
  expect_translation(0x40200000, 0x80200000, 2, kNormalCode);
  expect_translation(0x407fffff, 0x807fffff, 2, kNormalCode);
  EXPECT_EQ(table_.translate(0x401fffff), std::nullopt);
  EXPECT_EQ(table_.translate(0x40800000), std::nullopt);
}

TEST_F(PageTableTest, UnalignedRangeUsesPages) {
  ASSERT_TRUE(table_.map(0x40001000, 0x40001000, 3 * 4 * kKiB, kDevice).is_ok());
  EXPECT_EQ(table_.stats().blocks_2m, 0u);
  EXPECT_EQ(table_.stats().pages_4k, 3u);
  EXPECT_EQ(table_.stats().tables, 4u);
  expect_translation(0x40001000, 0x40001000, 3, kDevice);
  expect_translation(0x40003fff, 0x40003fff, 3, kDevice);
  EXPECT_EQ(table_.translate(0x40000fff), std::nullopt);
  EXPECT_EQ(table_.translate(0x40004000), std::nullopt);
}

TEST_F(PageTableTest, BlocksNeedBothAddressesAligned) {
  ASSERT_TRUE(table_.map(0x40000000, 0x50001000, 2 * kMiB, kNormalData).is_ok());
  EXPECT_EQ(table_.stats().blocks_2m, 0u);
  EXPECT_EQ(table_.stats().pages_4k, 512u);
  expect_translation(0x40123456, 0x50124456, 3, kNormalData);
}

TEST_F(PageTableTest, LargestBlockForEachPart) {
  ASSERT_TRUE(table_.map(0x40000000, 0x40000000, kGiB + 2 * kMiB + 4 * kKiB, kNormalData).is_ok());
  EXPECT_EQ(table_.stats().blocks_1g, 1u);
  EXPECT_EQ(table_.stats().blocks_2m, 1u);
  EXPECT_EQ(table_.stats().pages_4k, 1u);
  expect_translation(0x7fffffff, 0x7fffffff, 1, kNormalData);
  expect_translation(0x80100000, 0x80100000, 2, kNormalData);
  expect_translation(0x80200fff, 0x80200fff, 3, kNormalData);
  EXPECT_EQ(table_.translate(0x80201000), std::nullopt);
}

TEST_F(PageTableTest, RangeWithAHole) {
  // [0x40000000, 0x80000000) minus 60 KiB at 0x40200000.
  constexpr uint64_t kHoleBase = 0x40200000;
  constexpr uint64_t kHoleEnd = kHoleBase + 60 * kKiB;
  ASSERT_TRUE(table_.map(0x40000000, 0x40000000, kHoleBase - 0x40000000, kNormalData).is_ok());
  ASSERT_TRUE(table_.map(kHoleEnd, kHoleEnd, 0x80000000 - kHoleEnd, kNormalData).is_ok());
  // One 2 MiB block below the hole; 4 KiB pages up to the next 2 MiB
  // boundary; 2 MiB blocks for the rest of the gigabyte.
  EXPECT_EQ(table_.stats().blocks_1g, 0u);
  EXPECT_EQ(table_.stats().blocks_2m, 1u + 510u);
  EXPECT_EQ(table_.stats().pages_4k, (0x40400000 - kHoleEnd) / (4 * kKiB));
  EXPECT_EQ(table_.stats().pages_4k, 497u);
  EXPECT_EQ(table_.stats().tables, 4u);
  expect_translation(0x40000000, 0x40000000, 2, kNormalData);
  expect_translation(0x401fffff, 0x401fffff, 2, kNormalData);
  EXPECT_EQ(table_.translate(kHoleBase), std::nullopt);
  EXPECT_EQ(table_.translate(kHoleEnd - 1), std::nullopt);
  expect_translation(kHoleEnd, kHoleEnd, 3, kNormalData);
  expect_translation(0x403fffff, 0x403fffff, 3, kNormalData);
  expect_translation(0x40400000, 0x40400000, 2, kNormalData);
  expect_translation(0x7fffffff, 0x7fffffff, 2, kNormalData);
  EXPECT_EQ(table_.translate(0x80000000), std::nullopt);
}

TEST_F(PageTableTest, HighestInputAddress) {
  constexpr uint64_t kLastPage = (uint64_t{1} << 48) - 4 * kKiB;
  ASSERT_TRUE(table_.map(kLastPage, 0x1000, 4 * kKiB, kNormalData).is_ok());
  expect_translation(kLastPage + 0xfff, 0x1fff, 3, kNormalData);
  EXPECT_EQ(table_.translate(uint64_t{1} << 48), std::nullopt);
  EXPECT_EQ(table_.translate(~uint64_t{0}), std::nullopt);
}

TEST_F(PageTableTest, PageDescriptorBits) {
  ASSERT_TRUE(table_.map(0x09000000, 0x09000000, 4 * kKiB, kDevice).is_ok());
  auto leaf = find_leaf(table_, 0x09000000);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->level, 3u);
  uint64_t d = leaf->descriptor;
  EXPECT_EQ(d & kOutputAddressMask, 0x09000000u);
  EXPECT_TRUE(d & kValid);
  EXPECT_TRUE(d & kTableOrPage) << "a level-3 page descriptor";
  EXPECT_TRUE(d & kAccessFlag);
  EXPECT_EQ((d >> kAttrIndexShift) & 7, kMairDeviceIndex);
  EXPECT_TRUE(d & kExecuteNever);
  EXPECT_FALSE(d & kApReadOnly);
  EXPECT_TRUE(d & kApRes1);
  EXPECT_EQ(d & kInnerShareable, 0u) << "device memory carries no shareability";
}

TEST_F(PageTableTest, BlockDescriptorBits) {
  ASSERT_TRUE(table_.map(0x40000000, 0x80000000, 2 * kMiB, kNormalCode).is_ok());
  auto leaf = find_leaf(table_, 0x40000000);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->level, 2u);
  uint64_t d = leaf->descriptor;
  EXPECT_EQ(d & kOutputAddressMask, 0x80000000u);
  EXPECT_TRUE(d & kValid);
  EXPECT_FALSE(d & kTableOrPage) << "a block descriptor";
  EXPECT_TRUE(d & kAccessFlag);
  EXPECT_EQ((d >> kAttrIndexShift) & 7, kMairNormalIndex);
  EXPECT_FALSE(d & kExecuteNever);
  EXPECT_TRUE(d & kApReadOnly);
  EXPECT_EQ(d & kInnerShareable, kInnerShareable);
}

TEST_F(PageTableTest, AttributesAreKeptPerMapping) {
  constexpr MapAttributes kReadOnlyData{MemoryType::normal, false, false};
  ASSERT_TRUE(table_.map(0x40000000, 0x40000000, 4 * kKiB, kNormalCode).is_ok());
  ASSERT_TRUE(table_.map(0x40001000, 0x40001000, 4 * kKiB, kReadOnlyData).is_ok());
  ASSERT_TRUE(table_.map(0x40002000, 0x40002000, 4 * kKiB, kNormalData).is_ok());
  ASSERT_TRUE(table_.map(0x40003000, 0x40003000, 4 * kKiB, kDevice).is_ok());
  expect_translation(0x40000000, 0x40000000, 3, kNormalCode);
  expect_translation(0x40001000, 0x40001000, 3, kReadOnlyData);
  expect_translation(0x40002000, 0x40002000, 3, kNormalData);
  expect_translation(0x40003000, 0x40003000, 3, kDevice);
  EXPECT_TRUE(find_leaf(table_, 0x40001000)->descriptor & kExecuteNever);
  EXPECT_TRUE(find_leaf(table_, 0x40001000)->descriptor & kApReadOnly);
}

TEST_F(PageTableTest, MisalignedArguments) {
  EXPECT_TRUE(FailsMentioning(table_.map(0x40000800, 0x40000000, 4 * kKiB, kNormalData), "not page aligned"));
  EXPECT_TRUE(FailsMentioning(table_.map(0x40000000, 0x40000010, 4 * kKiB, kNormalData), "not page aligned"));
  EXPECT_TRUE(FailsMentioning(table_.map(0x40000000, 0x40000000, 100, kNormalData), "not page aligned"));
  EXPECT_EQ(table_.stats().tables, 1u);
}

TEST_F(PageTableTest, OutOfRangeArguments) {
  EXPECT_TRUE(FailsMentioning(table_.map(0x40000000, 0x40000000, 0, kNormalData), "out of range"));
  EXPECT_TRUE(FailsMentioning(table_.map(uint64_t{1} << 48, 0, 4 * kKiB, kNormalData), "out of range"));
  EXPECT_TRUE(FailsMentioning(table_.map((uint64_t{1} << 48) - 4 * kKiB, 0, 8 * kKiB, kNormalData), "out of range"));
  EXPECT_TRUE(FailsMentioning(table_.map(0, uint64_t{1} << 48, 4 * kKiB, kNormalData), "out of range"));
  EXPECT_TRUE(FailsMentioning(table_.map(0x1000, 0x1000, ~uint64_t{0xfff}, kNormalData), "out of range"));
  EXPECT_EQ(table_.stats().tables, 1u);
}

TEST_F(PageTableTest, PageInsideABlockIsAnOverlap) {
  ASSERT_TRUE(table_.map(0x40000000, 0x40000000, 2 * kMiB, kNormalData).is_ok());
  EXPECT_TRUE(FailsMentioning(table_.map(0x40001000, 0x40001000, 4 * kKiB, kNormalData),
                              "0x40001000 is already mapped by a block"));
  expect_translation(0x40001000, 0x40001000, 2, kNormalData);
}

TEST_F(PageTableTest, BlockOverPagesIsAnOverlap) {
  ASSERT_TRUE(table_.map(0x40201000, 0x40201000, 4 * kKiB, kNormalData).is_ok());
  EXPECT_TRUE(
      FailsMentioning(table_.map(0x40200000, 0x40200000, 2 * kMiB, kNormalData), "0x40200000 is already mapped"));
  ASSERT_TRUE(table_.map(0x80000000, 0x80000000, 4 * kKiB, kNormalData).is_ok());
  EXPECT_TRUE(FailsMentioning(table_.map(0x80000000, 0x80000000, kGiB, kNormalData), "already mapped"));
}

TEST_F(PageTableTest, SamePageTwiceIsAnOverlap) {
  ASSERT_TRUE(table_.map(0x40000000, 0x40000000, 4 * kKiB, kNormalData).is_ok());
  EXPECT_TRUE(FailsMentioning(table_.map(0x40000000, 0x50000000, 4 * kKiB, kDevice), "already mapped"));
  expect_translation(0x40000000, 0x40000000, 3, kNormalData);
}

TEST_F(PageTableTest, OverlapKeepsTheEntriesBelowIt) {
  ASSERT_TRUE(table_.map(0x40004000, 0x40004000, 4 * kKiB, kNormalData).is_ok());
  EXPECT_TRUE(FailsMentioning(table_.map(0x40003000, 0x40003000, 12 * kKiB, kDevice), "0x40004000 is already mapped"));
  expect_translation(0x40003000, 0x40003000, 3, kDevice);
  expect_translation(0x40004000, 0x40004000, 3, kNormalData);
  EXPECT_EQ(table_.translate(0x40005000), std::nullopt);
}

TEST(PageTableMemory, OutOfMemoryForTables) {
  test::PhysicalMemory memory(kTableMemoryBase, 3 * 4 * kKiB);
  MemoryMap map;
  ASSERT_TRUE(map.add({kTableMemoryBase, 3 * 4 * kKiB}).is_ok());  // bitmap + two table pages
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  PageTable table(allocator);
  ASSERT_TRUE(table.init().is_ok());
  // A 1 GiB block needs only a level-1 table...
  ASSERT_TRUE(table.map(0x40000000, 0x40000000, kGiB, kNormalData).is_ok());
  // ...a page needs two more.
  EXPECT_TRUE(FailsMentioning(table.map(0x1000, 0x1000, 4 * kKiB, kNormalData), "out of memory"));
  EXPECT_TRUE(FailsMentioning(PageTable(allocator).init(), "out of memory"));
}

}  // namespace
}  // namespace septum

namespace septum {
namespace {

class Stage2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(map_.add({kTableMemoryBase, kTableMemorySize}).is_ok());
    ASSERT_TRUE(allocator_.init(map_).is_ok());
    ASSERT_TRUE(table_.init().is_ok());
  }

  test::PhysicalMemory memory_{kTableMemoryBase, kTableMemorySize};
  MemoryMap map_;
  PageAllocator allocator_;
  PageTable table_{allocator_, PageTable::Regime::stage2, 44};
};

TEST_F(Stage2Test, LeafEncodingUsesStage2Attributes) {
  ASSERT_TRUE(table_.map(0x40000000, 0x80000000, 2 * kMiB, kNormalData).is_ok());
  ASSERT_TRUE(table_.map(0x09000000, 0x09000000, 4 * kKiB, {MemoryType::device, false, false}).is_ok());
  auto ram = find_leaf(table_, 0x40000000);
  ASSERT_TRUE(ram);
  EXPECT_EQ((ram->descriptor >> kS2MemAttrShift) & 0xf, kS2MemAttrNormalWriteBack);
  EXPECT_TRUE(ram->descriptor & kS2ApRead);
  EXPECT_TRUE(ram->descriptor & kS2ApWrite);
  EXPECT_TRUE(ram->descriptor & kExecuteNever);
  EXPECT_EQ(ram->descriptor & kInnerShareable, kInnerShareable);
  auto device = find_leaf(table_, 0x09000000);
  ASSERT_TRUE(device);
  EXPECT_EQ((device->descriptor >> kS2MemAttrShift) & 0xf, kS2MemAttrDevice);
  EXPECT_FALSE(device->descriptor & kS2ApWrite);
  auto translation = table_.translate(0x40001234);
  ASSERT_TRUE(translation);
  EXPECT_EQ(translation->pa, 0x80001234u);
  EXPECT_EQ(translation->attributes, kNormalData);
}

TEST_F(Stage2Test, InputSizeLimitsTheMappableRange) {
  constexpr uint64_t kAbove1TiB = uint64_t{1} << 41;
  ASSERT_TRUE(table_.map(kAbove1TiB, 0x80000000, 1 * kGiB, kNormalData).is_ok());
  EXPECT_EQ(table_.stats().blocks_1g, 1u);
  EXPECT_TRUE(FailsMentioning(table_.map(uint64_t{1} << 44, 0x80000000, 4 * kKiB, kNormalData), "out of range"));
  EXPECT_EQ(table_.translate(uint64_t{1} << 44), std::nullopt);
}

TEST_F(Stage2Test, DestroyReturnsEveryTablePage) {
  uint64_t before = allocator_.free_pages() + table_.stats().tables;
  ASSERT_TRUE(table_.map(0x40000000, 0x80000000, 1 * kGiB + 2 * kMiB + 12 * kKiB, kNormalData).is_ok());
  EXPECT_GT(table_.stats().tables, 1u);
  table_.destroy();
  EXPECT_EQ(allocator_.free_pages(), before);
  EXPECT_EQ(table_.root(), 0u);
}

TEST(PageTableInputSize, SmallStage2SpacesStartAtLevelOneWithConcatenatedRoots) {
  constexpr uint64_t kBase = 0x40000000;
  test::PhysicalMemory memory{kBase, 4 * kMiB};
  MemoryMap map;
  ASSERT_TRUE(map.add({kBase, 4 * kMiB}).is_ok());
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  uint64_t free_before = allocator.free_pages();
  PageTable table{allocator, PageTable::Regime::stage2, 40};
  ASSERT_TRUE(table.init().is_ok());
  EXPECT_EQ(table.start_level(), 1u);
  EXPECT_EQ(table.root() % (2 * 4096), 0u) << "two concatenated tables, aligned to their size";
  EXPECT_EQ(table.stats().tables, 2u);
  constexpr uint64_t kTopGiB = (uint64_t{1} << 40) - kGiB;  // indexed in the second root table
  ASSERT_TRUE(table.map(kTopGiB, 0x80000000, kGiB, kNormalData).is_ok());
  ASSERT_TRUE(table.map(0x40000000, 0xc0000000, 2 * kMiB, kNormalData).is_ok());
  auto top = table.translate(kTopGiB + 0x1234);
  ASSERT_TRUE(top);
  EXPECT_EQ(top->pa, 0x80001234u);
  EXPECT_EQ(top->level, 1u);
  auto low = table.translate(0x40000010);
  ASSERT_TRUE(low);
  EXPECT_EQ(low->pa, 0xc0000010u);
  EXPECT_EQ(table.translate(uint64_t{1} << 40), std::nullopt);
  table.destroy();
  EXPECT_EQ(allocator.free_pages(), free_before);
}

TEST(PageTableInputSize, OutsideThirtyTwoToFortyEightBitsIsRefused) {
  constexpr uint64_t kBase = 0x40000000;
  test::PhysicalMemory memory{kBase, 1 * kMiB};
  MemoryMap map;
  ASSERT_TRUE(map.add({kBase, 1 * kMiB}).is_ok());
  PageAllocator allocator;
  ASSERT_TRUE(allocator.init(map).is_ok());
  PageTable narrow{allocator, PageTable::Regime::stage2, 30};
  EXPECT_TRUE(FailsMentioning(narrow.init(), "30-bit"));
}

}  // namespace
}  // namespace septum
