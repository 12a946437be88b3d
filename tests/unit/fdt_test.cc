// Navigation and property lookups on a well-formed device tree.
#include "kernel/fdt.h"

#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <vector>

#include "tests/unit/support.h"

namespace septum {
namespace {

class FdtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    blob_ = test::read_device_tree("virt");
    Status status = Fdt::open(blob_.data(), blob_.size(), fdt_);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }

  Fdt::Node path(std::string_view p) {
    auto node = fdt_.find_path(p);
    EXPECT_TRUE(node.has_value()) << p;
    return node.value_or(fdt_.root());
  }

  std::vector<std::string> child_names(Fdt::Node node) {
    std::vector<std::string> names;
    for (auto child = fdt_.first_child(node); child; child = fdt_.next_sibling(*child)) {
      names.emplace_back(fdt_.name(*child));
    }
    return names;
  }

  std::vector<uint8_t> blob_;
  Fdt fdt_;
};

TEST_F(FdtTest, HeaderAndReservations) {
  EXPECT_EQ(fdt_.total_size(), blob_.size());
  ASSERT_EQ(fdt_.reservation_count(), 1u);
  EXPECT_EQ(fdt_.reservation(0).address, 0x48000000u);
  EXPECT_EQ(fdt_.reservation(0).size, 0x100000u);
}

TEST_F(FdtTest, ChildrenInDocumentOrder) {
  EXPECT_EQ(fdt_.name(fdt_.root()), "");
  EXPECT_EQ(child_names(fdt_.root()),
            (std::vector<std::string>{"chosen", "memory@40000000", "reserved-memory", "cpus", "intc@8000000", "timer",
                                      "psci", "pl011@9000000", "pl011@9040000"}));
  EXPECT_EQ(child_names(path("/cpus")), (std::vector<std::string>{"cpu@0", "cpu@1", "cpu@2", "cpu@3"}));
  EXPECT_EQ(child_names(path("/reserved-memory")), (std::vector<std::string>{"firmware@7ff00000", "dynamic-pool"}));
}

TEST_F(FdtTest, LeavesHaveNoChildrenAndTheRootNoSiblings) {
  EXPECT_EQ(fdt_.first_child(path("/cpus/cpu@3")), std::nullopt);
  EXPECT_EQ(fdt_.next_sibling(path("/cpus/cpu@3")), std::nullopt);
  EXPECT_EQ(fdt_.next_sibling(path("/pl011@9040000")), std::nullopt);
  EXPECT_EQ(fdt_.next_sibling(fdt_.root()), std::nullopt);
}

TEST_F(FdtTest, Parent) {
  EXPECT_EQ(fdt_.parent(fdt_.root()), std::nullopt);
  EXPECT_EQ(fdt_.parent(path("/cpus")), fdt_.root());
  EXPECT_EQ(fdt_.parent(path("/cpus/cpu@2")), path("/cpus"));
  EXPECT_EQ(fdt_.parent(path("/reserved-memory/dynamic-pool")), path("/reserved-memory"));
}

TEST_F(FdtTest, FindPath) {
  EXPECT_EQ(fdt_.find_path("/"), fdt_.root());
  EXPECT_EQ(fdt_.find_path(""), fdt_.root());
  EXPECT_EQ(fdt_.name(path("/cpus/cpu@2")), "cpu@2");
  EXPECT_EQ(fdt_.name(path("//cpus//cpu@1/")), "cpu@1");
  // A component without a unit address matches the first "name@unit".
  EXPECT_EQ(fdt_.name(path("/memory")), "memory@40000000");
  EXPECT_EQ(fdt_.name(path("/cpus/cpu")), "cpu@0");
  EXPECT_EQ(fdt_.find_path("/cpus/cpu@4"), std::nullopt);
  EXPECT_EQ(fdt_.find_path("/cpu"), std::nullopt);
  EXPECT_EQ(fdt_.find_path("/mem"), std::nullopt);
  EXPECT_EQ(fdt_.find_path("/memory@4"), std::nullopt);
  EXPECT_EQ(fdt_.find_path("/chosen/missing"), std::nullopt);
}

TEST_F(FdtTest, FindCompatible) {
  auto gic = fdt_.find_compatible("arm,gic-v3");
  ASSERT_TRUE(gic);
  EXPECT_EQ(fdt_.name(*gic), "intc@8000000");

  // Any entry of the list matches, but only whole entries.
  auto timer = fdt_.find_compatible("arm,armv7-timer");
  ASSERT_TRUE(timer);
  EXPECT_EQ(fdt_.name(*timer), "timer");
  EXPECT_EQ(fdt_.find_compatible("arm,psci"), std::nullopt);
  EXPECT_EQ(fdt_.find_compatible("arm,psci-1.0-extra"), std::nullopt);

  auto first_uart = fdt_.find_compatible("arm,primecell");
  ASSERT_TRUE(first_uart);
  EXPECT_EQ(fdt_.name(*first_uart), "pl011@9000000");
  auto second_uart = fdt_.next_compatible(*first_uart, "arm,pl011");
  ASSERT_TRUE(second_uart);
  EXPECT_EQ(fdt_.name(*second_uart), "pl011@9040000");
  EXPECT_EQ(fdt_.next_compatible(*second_uart, "arm,pl011"), std::nullopt);
}

TEST_F(FdtTest, NextCompatibleSearchesInsideTheSubtree) {
  auto cpu0 = fdt_.find_compatible("arm,cortex-a57");
  ASSERT_TRUE(cpu0);
  EXPECT_EQ(fdt_.name(*cpu0), "cpu@0");
  std::vector<std::string> names;
  for (auto cpu = cpu0; cpu; cpu = fdt_.next_compatible(*cpu, "arm,cortex-a57")) names.emplace_back(fdt_.name(*cpu));
  EXPECT_EQ(names, (std::vector<std::string>{"cpu@0", "cpu@1", "cpu@2", "cpu@3"}));
}

TEST_F(FdtTest, StringProperties) {
  Fdt::Node chosen = path("/chosen");
  EXPECT_EQ(fdt_.string_property(chosen, "bootargs"), "console=ttyAMA0 septum.log=debug quiet");
  EXPECT_EQ(fdt_.string_property(chosen, "stdout-path"), "/pl011@9000000");
  // The first entry of a string list.
  EXPECT_EQ(fdt_.string_property(path("/psci"), "compatible"), "arm,psci-1.0");
  EXPECT_EQ(fdt_.string_property(chosen, "missing"), std::nullopt);
  // An empty property is no string.
  EXPECT_EQ(fdt_.string_property(path("/intc"), "interrupt-controller"), std::nullopt);
}

TEST_F(FdtTest, U32Properties) {
  EXPECT_EQ(fdt_.u32_property(path("/cpus"), "#address-cells"), 1u);
  EXPECT_EQ(fdt_.u32_property(path("/cpus"), "#size-cells"), 0u);
  EXPECT_EQ(fdt_.u32_property(path("/cpus/cpu@3"), "reg"), 3u);
  EXPECT_EQ(fdt_.u32_property(fdt_.root(), "interrupt-parent").has_value(), true);
  // Wrong size or absent.
  EXPECT_EQ(fdt_.u32_property(path("/memory"), "reg"), std::nullopt);
  EXPECT_EQ(fdt_.u32_property(path("/cpus"), "missing"), std::nullopt);
}

TEST_F(FdtTest, RawPropertyAndCells) {
  auto empty = fdt_.property(path("/intc"), "interrupt-controller");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());

  auto reg = fdt_.property(path("/intc"), "reg");
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->size(), 32u);
  Fdt::Cells cells(*reg);
  EXPECT_EQ(cells.read(2), 0x08000000u);
  EXPECT_EQ(cells.read(2), 0x10000u);
  EXPECT_EQ(cells.read(1), 0u);
  EXPECT_EQ(cells.read(1), 0x080a0000u);
  EXPECT_EQ(cells.remaining_bytes(), 8u);
  EXPECT_EQ(cells.read(0), std::nullopt);
  EXPECT_EQ(cells.read(3), std::nullopt);
  EXPECT_EQ(cells.read(2), 0xf60000u);
  EXPECT_TRUE(cells.empty());
  EXPECT_EQ(cells.read(1), std::nullopt);
}

TEST_F(FdtTest, CellsDoNotReadAPartialValue) {
  const uint8_t bytes[] = {0, 0, 0, 1, 0, 0};
  Fdt::Cells cells(bytes);
  EXPECT_EQ(cells.read(2), std::nullopt);
  EXPECT_EQ(cells.read(1), 1u);
  EXPECT_EQ(cells.read(1), std::nullopt);
  EXPECT_EQ(cells.remaining_bytes(), 2u);
}

TEST_F(FdtTest, CompatibleAndEnabled) {
  EXPECT_TRUE(fdt_.is_compatible(path("/psci"), "arm,psci-0.2"));
  EXPECT_FALSE(fdt_.is_compatible(path("/psci"), "arm,psci-0."));
  EXPECT_FALSE(fdt_.is_compatible(path("/chosen"), "arm,psci-0.2"));
  EXPECT_TRUE(fdt_.is_enabled(path("/pl011@9000000")));
  EXPECT_FALSE(fdt_.is_enabled(path("/pl011@9040000")));
}

TEST_F(FdtTest, OpenAcceptsSpareBytesAfterTheBlob) {
  std::vector<uint8_t> padded = blob_;
  padded.resize(blob_.size() + 4096, 0xff);
  Fdt fdt;
  Status status = Fdt::open(padded.data(), padded.size(), fdt);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(fdt.total_size(), blob_.size());
}

// The same tree with two FDT_NOP tokens before the root node, which the
// devicetree specification allows.
TEST_F(FdtTest, LeadingNopsBeforeTheRoot) {
  auto be32 = [&](size_t offset) {
    return (uint32_t{blob_[offset]} << 24) | (uint32_t{blob_[offset + 1]} << 16) | (uint32_t{blob_[offset + 2]} << 8) |
           blob_[offset + 3];
  };
  auto put_be32 = [](std::vector<uint8_t>& blob, size_t offset, uint32_t value) {
    for (size_t i = 0; i < 4; ++i) blob[offset + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
  };
  constexpr uint8_t kNops[] = {0, 0, 0, 4, 0, 0, 0, 4};
  std::vector<uint8_t> blob = blob_;
  uint32_t off_struct = be32(8);
  ASSERT_LT(off_struct, be32(12)) << "strings are expected after the structure block";
  blob.insert(blob.begin() + off_struct, std::begin(kNops), std::end(kNops));
  put_be32(blob, 4, be32(4) + sizeof kNops);    // totalsize
  put_be32(blob, 12, be32(12) + sizeof kNops);  // off_dt_strings
  put_be32(blob, 36, be32(36) + sizeof kNops);  // size_dt_struct

  Fdt fdt;
  Status status = Fdt::open(blob.data(), blob.size(), fdt);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(fdt.root().offset, sizeof kNops);
  std::vector<std::string> names;
  for (auto child = fdt.first_child(fdt.root()); child; child = fdt.next_sibling(*child)) {
    EXPECT_EQ(fdt.parent(*child), fdt.root());
    names.emplace_back(fdt.name(*child));
  }
  EXPECT_EQ(names, child_names(fdt_.root()));
  EXPECT_EQ(fdt.parent(fdt.root()), std::nullopt);
  EXPECT_EQ(fdt.next_sibling(fdt.root()), std::nullopt);
  EXPECT_EQ(fdt.u32_property(fdt.root(), "#address-cells"), 2u);
  auto cpu = fdt.find_path("/cpus/cpu@3");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(fdt.u32_property(*cpu, "reg"), 3u);
}

}  // namespace
}  // namespace septum
