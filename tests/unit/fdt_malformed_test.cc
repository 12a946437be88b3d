// Fdt::open must turn every corrupt or hostile blob into an error, never a
// crash or an out-of-bounds read.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "kernel/fdt.h"
#include "tests/unit/support.h"

namespace septum {
namespace {

using test::FailsMentioning;

using namespace fdt_layout;

uint32_t get_be32(const std::vector<uint8_t>& blob, size_t offset) {
  return (uint32_t{blob[offset]} << 24) | (uint32_t{blob[offset + 1]} << 16) | (uint32_t{blob[offset + 2]} << 8) |
         blob[offset + 3];
}

void put_be32(std::vector<uint8_t>& blob, size_t offset, uint32_t value) {
  blob[offset] = static_cast<uint8_t>(value >> 24);
  blob[offset + 1] = static_cast<uint8_t>(value >> 16);
  blob[offset + 2] = static_cast<uint8_t>(value >> 8);
  blob[offset + 3] = static_cast<uint8_t>(value);
}

// Writes a structure block token by token, including sequences that dtc
// would never produce, and wraps it in a header and an empty reservation map.
class FdtBuilder {
 public:
  FdtBuilder& token(uint32_t value) {
    append_be32(structure_, value);
    return *this;
  }
  FdtBuilder& begin_node(std::string_view name) {
    token(kBeginNode);
    structure_.insert(structure_.end(), name.begin(), name.end());
    structure_.push_back(0);
    pad(structure_);
    return *this;
  }
  FdtBuilder& end_node() { return token(kEndNode); }
  FdtBuilder& end() { return token(kEnd); }
  FdtBuilder& property(std::string_view name, std::vector<uint8_t> value) {
    return raw_property(static_cast<uint32_t>(value.size()), string_offset(name), value);
  }
  FdtBuilder& string_property(std::string_view name, std::string_view value) {
    std::vector<uint8_t> bytes(value.begin(), value.end());
    bytes.push_back(0);
    return property(name, bytes);
  }
  // A property whose header says `length` and `name_offset`, followed by `value`.
  FdtBuilder& raw_property(uint32_t length, uint32_t name_offset, const std::vector<uint8_t>& value) {
    token(kProp);
    append_be32(structure_, length);
    append_be32(structure_, name_offset);
    structure_.insert(structure_.end(), value.begin(), value.end());
    pad(structure_);
    return *this;
  }
  FdtBuilder& raw_bytes(std::string_view bytes) {
    structure_.insert(structure_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  FdtBuilder& raw_strings(std::string_view bytes) {
    strings_.insert(strings_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  uint32_t string_offset(std::string_view name) {
    auto [it, inserted] = string_offsets_.try_emplace(std::string(name), static_cast<uint32_t>(strings_.size()));
    if (inserted) {
      strings_.insert(strings_.end(), name.begin(), name.end());
      strings_.push_back(0);
    }
    return it->second;
  }

  std::vector<uint8_t> build() const {
    constexpr uint32_t kReservationOffset = Fdt::kHeaderSize;
    constexpr uint32_t kStructOffset = kReservationOffset + 16;
    uint32_t strings_offset = kStructOffset + static_cast<uint32_t>(structure_.size());
    std::vector<uint8_t> blob(strings_offset);
    put_be32(blob, 0, Fdt::kMagic);
    put_be32(blob, kOffStruct, kStructOffset);
    put_be32(blob, kOffStrings, strings_offset);
    put_be32(blob, kOffMemRsvmap, kReservationOffset);
    put_be32(blob, kVersion, 17);
    put_be32(blob, kLastCompVersion, 16);
    put_be32(blob, kSizeStrings, static_cast<uint32_t>(strings_.size()));
    put_be32(blob, kSizeStruct, static_cast<uint32_t>(structure_.size()));
    std::copy(structure_.begin(), structure_.end(), blob.begin() + kStructOffset);
    blob.insert(blob.end(), strings_.begin(), strings_.end());
    put_be32(blob, kTotalSize, static_cast<uint32_t>(blob.size()));
    return blob;
  }

 private:
  static void append_be32(std::vector<uint8_t>& out, uint32_t value) {
    out.resize(out.size() + 4);
    put_be32(out, out.size() - 4, value);
  }
  static void pad(std::vector<uint8_t>& out) { out.resize((out.size() + 3) & ~size_t{3}); }

  std::vector<uint8_t> structure_;
  std::vector<uint8_t> strings_;
  std::map<std::string, uint32_t> string_offsets_;
};

Status open(const std::vector<uint8_t>& blob) {
  Fdt fdt;
  return Fdt::open(blob.data(), blob.size(), fdt);
}

class CorruptedVirtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    blob_ = test::read_device_tree("virt");
    ASSERT_TRUE(open(blob_).is_ok());
  }
  std::vector<uint8_t> blob_;
};

TEST_F(CorruptedVirtTest, BadMagic) {
  put_be32(blob_, 0, 0xd00dfeee);
  EXPECT_TRUE(FailsMentioning(open(blob_), "bad magic 0xd00dfeee"));
}

TEST_F(CorruptedVirtTest, TooSmallForAHeader) {
  Fdt fdt;
  EXPECT_TRUE(FailsMentioning(Fdt::open(blob_.data(), Fdt::kHeaderSize - 1, fdt), "too small for a header"));
}

TEST_F(CorruptedVirtTest, TotalSizeLargerThanTheBuffer) {
  put_be32(blob_, kTotalSize, static_cast<uint32_t>(blob_.size() + 1));
  EXPECT_TRUE(FailsMentioning(open(blob_), "totalsize"));
}

TEST_F(CorruptedVirtTest, TotalSizeSmallerThanTheHeader) {
  put_be32(blob_, kTotalSize, Fdt::kHeaderSize - 4);
  EXPECT_TRUE(FailsMentioning(open(blob_), "totalsize"));
}

TEST_F(CorruptedVirtTest, UnsupportedVersions) {
  std::vector<uint8_t> old = blob_;
  put_be32(old, kVersion, 15);
  EXPECT_TRUE(FailsMentioning(open(old), "unsupported version 15"));
  put_be32(blob_, kLastCompVersion, 18);
  EXPECT_TRUE(FailsMentioning(open(blob_), "unsupported version"));
}

TEST_F(CorruptedVirtTest, StructureBlockOutOfRange) {
  for (uint32_t offset :
       {uint32_t{0}, uint32_t{Fdt::kHeaderSize - 4}, static_cast<uint32_t>(blob_.size()) + 4, 0xfffffff0u}) {
    std::vector<uint8_t> corrupt = blob_;
    put_be32(corrupt, kOffStruct, offset);
    EXPECT_TRUE(FailsMentioning(open(corrupt), "structure block")) << offset;
  }
  std::vector<uint8_t> misaligned = blob_;
  put_be32(misaligned, kOffStruct, get_be32(blob_, kOffStruct) + 2);
  EXPECT_TRUE(FailsMentioning(open(misaligned), "structure block"));
  put_be32(blob_, kSizeStruct, 0xffffffff);
  EXPECT_TRUE(FailsMentioning(open(blob_), "structure block"));
}

TEST_F(CorruptedVirtTest, StringsBlockOutOfRange) {
  std::vector<uint8_t> moved = blob_;
  put_be32(moved, kOffStrings, static_cast<uint32_t>(blob_.size()) + 1);
  EXPECT_TRUE(FailsMentioning(open(moved), "strings block"));
  put_be32(blob_, kSizeStrings, get_be32(blob_, kSizeStrings) + 1);
  EXPECT_TRUE(FailsMentioning(open(blob_), "strings block"));
}

TEST_F(CorruptedVirtTest, ReservationBlockMisplacedOrUnterminated) {
  std::vector<uint8_t> misaligned = blob_;
  put_be32(misaligned, kOffMemRsvmap, get_be32(blob_, kOffMemRsvmap) + 4);
  EXPECT_TRUE(FailsMentioning(open(misaligned), "memory reservation block"));
  // Less than one 16-byte entry left before the end: no room for the (0, 0)
  // terminator.
  put_be32(blob_, kOffMemRsvmap, static_cast<uint32_t>(blob_.size() - 8) & ~7u);
  EXPECT_TRUE(FailsMentioning(open(blob_), "not terminated"));
}

TEST_F(CorruptedVirtTest, EveryTruncationIsAnError) {
  for (size_t length = 0; length < blob_.size(); ++length) {
    // An exact-size copy, so a read past `length` is a read past the buffer.
    std::vector<uint8_t> prefix(blob_.begin(), blob_.begin() + static_cast<std::ptrdiff_t>(length));
    Fdt fdt;
    EXPECT_FALSE(Fdt::open(prefix.data(), prefix.size(), fdt).is_ok()) << "prefix of " << length << " bytes";
  }
}

TEST_F(CorruptedVirtTest, EveryTruncationWithAConsistentTotalSizeIsAnError) {
  for (size_t length = Fdt::kHeaderSize; length < blob_.size(); ++length) {
    std::vector<uint8_t> prefix(blob_.begin(), blob_.begin() + static_cast<std::ptrdiff_t>(length));
    put_be32(prefix, kTotalSize, static_cast<uint32_t>(length));
    EXPECT_FALSE(open(prefix).is_ok()) << "prefix of " << length << " bytes";
  }
}

TEST(FdtBuilderTest, MinimalTreeOpens) {
  std::vector<uint8_t> blob = FdtBuilder()
                                  .begin_node("")
                                  .string_property("compatible", "test")
                                  .begin_node("child@1")
                                  .end_node()
                                  .end_node()
                                  .end()
                                  .build();
  Fdt fdt;
  Status status = Fdt::open(blob.data(), blob.size(), fdt);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(fdt.reservation_count(), 0u);
  auto child = fdt.find_path("/child");
  ASSERT_TRUE(child);
  EXPECT_EQ(fdt.name(*child), "child@1");
}

TEST(FdtStructureTest, NopTokensAreSkippedEverywhere) {
  FdtBuilder builder;
  // The devicetree specification allows NOPs before the root node too.
  builder.token(kNop).token(kNop).begin_node("").token(kNop).string_property("compatible", "root");
  builder.token(kNop).begin_node("a").token(kNop).string_property("compatible", "x").token(kNop).end_node();
  builder.token(kNop).begin_node("b").string_property("compatible", "x").token(kNop).end_node().token(kNop);
  builder.end_node().token(kNop).end();
  std::vector<uint8_t> blob = builder.build();
  Fdt fdt;
  Status status = Fdt::open(blob.data(), blob.size(), fdt);
  ASSERT_TRUE(status.is_ok()) << status.message();

  auto a = fdt.first_child(fdt.root());
  ASSERT_TRUE(a);
  EXPECT_EQ(fdt.name(*a), "a");
  EXPECT_EQ(fdt.string_property(*a, "compatible"), "x");
  auto b = fdt.next_sibling(*a);
  ASSERT_TRUE(b);
  EXPECT_EQ(fdt.name(*b), "b");
  EXPECT_EQ(fdt.next_sibling(*b), std::nullopt);
  EXPECT_EQ(fdt.parent(*b), fdt.root());
  EXPECT_EQ(fdt.find_compatible("x"), a);
  EXPECT_EQ(fdt.next_compatible(*a, "x"), b);
  EXPECT_EQ(fdt.string_property(fdt.root(), "compatible"), "root");
  EXPECT_EQ(fdt.parent(*a), fdt.root());
  EXPECT_EQ(fdt.parent(fdt.root()), std::nullopt);
  EXPECT_EQ(fdt.next_sibling(fdt.root()), std::nullopt);
  EXPECT_EQ(fdt.find_path("/b"), b);
}

TEST(FdtStructureTest, UnterminatedNodeName) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").token(kBeginNode).raw_bytes("abcdefgh").build();
  EXPECT_TRUE(FailsMentioning(open(blob), "unterminated node name"));
}

TEST(FdtStructureTest, PropertyLengthPastTheEnd) {
  FdtBuilder builder;
  uint32_t name = builder.string_offset("reg");
  std::vector<uint8_t> blob = builder.begin_node("").raw_property(1000, name, {0, 0, 0, 1}).end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "length 1000 past the structure block"));
}

TEST(FdtStructureTest, LengthThatWouldWrapAround) {
  FdtBuilder builder;
  uint32_t name = builder.string_offset("reg");
  std::vector<uint8_t> blob = builder.begin_node("").raw_property(0xfffffffc, name, {}).end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "past the structure block"));
}

TEST(FdtStructureTest, TruncatedPropertyHeader) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").token(kProp).token(0).build();
  EXPECT_TRUE(FailsMentioning(open(blob), "truncated property"));
}

TEST(FdtStructureTest, BadStringOffset) {
  FdtBuilder builder;
  uint32_t past_the_end = builder.string_offset("reg") + 4;
  std::vector<uint8_t> blob = builder.begin_node("").raw_property(0, past_the_end, {}).end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "bad name offset 0x4"));
}

TEST(FdtStructureTest, PropertyNameWithoutTerminator) {
  std::vector<uint8_t> blob =
      FdtBuilder().raw_strings("unterminated").begin_node("").raw_property(0, 2, {}).end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "bad name offset"));
}

TEST(FdtStructureTest, MissingEnd) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").end_node().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "without FDT_END"));
}

TEST(FdtStructureTest, EndInsideANode) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").begin_node("child").end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "FDT_END at 0x18 inside a node"));
}

TEST(FdtStructureTest, EndWithoutARoot) {
  std::vector<uint8_t> blob = FdtBuilder().token(kNop).end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "FDT_END"));
}

TEST(FdtStructureTest, UnbalancedEndNode) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").end_node().end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "unbalanced FDT_END_NODE at 0xc"));
}

TEST(FdtStructureTest, SecondRoot) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").end_node().begin_node("").end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "second root"));
}

TEST(FdtStructureTest, NamedRoot) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("root").end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "root node has a name"));
}

TEST(FdtStructureTest, UnnamedChild) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").begin_node("").end_node().end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "unnamed node"));
}

TEST(FdtStructureTest, PropertyOutsideANode) {
  FdtBuilder builder;
  std::vector<uint8_t> blob = builder.property("stray", {}).begin_node("").end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "property outside a node"));
}

TEST(FdtStructureTest, UnknownToken) {
  std::vector<uint8_t> blob = FdtBuilder().begin_node("").token(7).end_node().end().build();
  EXPECT_TRUE(FailsMentioning(open(blob), "unknown token 0x7"));
}

std::vector<uint8_t> nested_tree(unsigned depth) {
  FdtBuilder builder;
  builder.begin_node("");
  for (unsigned level = 1; level < depth; ++level) builder.begin_node("n" + std::to_string(level));
  for (unsigned level = 0; level < depth; ++level) builder.end_node();
  return builder.end().build();
}

TEST(FdtStructureTest, NestingTooDeep) {
  EXPECT_TRUE(FailsMentioning(open(nested_tree(Fdt::kMaxDepth + 1)), "nesting deeper than 32"));
}

TEST(FdtStructureTest, DeepestAllowedNestingIsNavigable) {
  std::vector<uint8_t> blob = nested_tree(Fdt::kMaxDepth);
  Fdt fdt;
  Status status = Fdt::open(blob.data(), blob.size(), fdt);
  ASSERT_TRUE(status.is_ok()) << status.message();

  std::string path;
  for (unsigned level = 1; level < Fdt::kMaxDepth; ++level) path += "/n" + std::to_string(level);
  auto deepest = fdt.find_path(path);
  ASSERT_TRUE(deepest);
  EXPECT_EQ(fdt.name(*deepest), "n31");
  EXPECT_EQ(fdt.first_child(*deepest), std::nullopt);
  unsigned ancestors = 0;
  for (auto node = fdt.parent(*deepest); node; node = fdt.parent(*node)) ++ancestors;
  EXPECT_EQ(ancestors, Fdt::kMaxDepth - 1);
}

}  // namespace
}  // namespace septum
