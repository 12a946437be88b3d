// Each domain's generated device tree: the core's own reader and platform
// parser see the virtual platform of kernel/abi/guest_platform.h, and dtc
// reads it without a warning.
#include "boot/guest_device_tree.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel/abi/guest_platform.h"
#include "kernel/fdt.h"
#include "kernel/platform.h"

namespace septum::boot {
namespace {

constexpr GuestPlatform kPlatform{0x40000000, 64 << 20, 4, "console=hvc0 quiet"};

class GuestDeviceTreeTest : public ::testing::Test {
 protected:
  void open(const GuestPlatform& guest) {
    blob_ = guest_device_tree(guest);
    Status status = Fdt::open(blob_.data(), blob_.size(), fdt_);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }

  std::vector<std::string> strings(std::string_view path, std::string_view property) {
    auto node = fdt_.find_path(path);
    EXPECT_TRUE(node) << path;
    auto bytes = node ? fdt_.property(*node, property) : std::nullopt;
    EXPECT_TRUE(bytes) << path << " " << property;
    std::vector<std::string> list;
    if (!bytes) return list;
    std::string all(bytes->begin(), bytes->end());
    for (size_t at = 0; at < all.size(); at = all.find('\0', at) + 1) list.emplace_back(all.c_str() + at);
    return list;
  }

  std::vector<uint8_t> blob_;
  Fdt fdt_;
};

TEST_F(GuestDeviceTreeTest, TheCoreSeesTheVirtualPlatform) {
  open(kPlatform);
  Platform platform;
  Status status = parse_platform(fdt_, platform);
  ASSERT_TRUE(status.is_ok()) << status.message();

  ASSERT_EQ(platform.memory_count, 1u);
  EXPECT_EQ(platform.memory[0].base, 0x40000000u);
  EXPECT_EQ(platform.memory[0].size, 64u << 20);
  EXPECT_EQ(platform.reserved_count, 0u);
  ASSERT_EQ(platform.cpu_count, 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(platform.cpu_mpidr[i], abi::guest_mpidr(i));
  EXPECT_EQ(platform.gic_distributor.base, abi::kGuestGicdBase);
  EXPECT_EQ(platform.gic_distributor.size, abi::kGuestGicdSize);
  ASSERT_EQ(platform.gic_redistributor_count, 1u);
  EXPECT_EQ(platform.gic_redistributors[0].base, abi::kGuestGicrBase);
  EXPECT_EQ(platform.gic_redistributors[0].size, 4 * abi::kGuestGicrStride);
  EXPECT_EQ(platform.timer_secure_intid, abi::kGuestTimerSecureIntid);
  EXPECT_EQ(platform.timer_physical_intid, abi::kGuestTimerPhysicalIntid);
  EXPECT_EQ(platform.timer_virtual_intid, abi::kGuestTimerVirtualIntid);
  EXPECT_EQ(platform.timer_hypervisor_intid, abi::kGuestTimerHypervisorIntid);
  EXPECT_EQ(platform.psci_conduit, PsciConduit::hvc);
  EXPECT_EQ(platform.uart.size, 0u);
  EXPECT_EQ(platform.bootargs, "console=hvc0 quiet");
}

TEST_F(GuestDeviceTreeTest, NodesAndProperties) {
  open(kPlatform);
  EXPECT_EQ(strings("/", "compatible"), std::vector<std::string>{"septum,guest"});
  EXPECT_EQ(strings("/", "model"), std::vector<std::string>{"Septum guest"});
  EXPECT_EQ(fdt_.u32_property(fdt_.root(), "#address-cells"), 2u);
  EXPECT_EQ(fdt_.u32_property(fdt_.root(), "#size-cells"), 2u);
  EXPECT_EQ(strings("/memory@40000000", "device_type"), std::vector<std::string>{"memory"});
  EXPECT_EQ(strings("/cpus/cpu@3", "enable-method"), std::vector<std::string>{"psci"});
  EXPECT_EQ(strings("/cpus/cpu@3", "compatible"), std::vector<std::string>{"arm,armv8"});
  EXPECT_EQ(strings("/psci", "compatible"), (std::vector<std::string>{"arm,psci-1.0", "arm,psci-0.2"}));
  auto gic = fdt_.find_path("/intc@8000000");
  ASSERT_TRUE(gic);
  EXPECT_TRUE(fdt_.property(*gic, "interrupt-controller"));
  EXPECT_EQ(fdt_.u32_property(*gic, "#interrupt-cells"), 3u);
  EXPECT_EQ(fdt_.u32_property(*gic, "#redistributor-regions"), 1u);
  auto timer = fdt_.find_path("/timer");
  ASSERT_TRUE(timer);
  EXPECT_EQ(fdt_.u32_property(*timer, "interrupt-parent"), fdt_.u32_property(*gic, "phandle"));
  // Level-triggered PPIs (type 1), numbered from INTID 16.
  Fdt::Cells interrupts(*fdt_.property(*timer, "interrupts"));
  for (uint32_t intid : {29u, 30u, 27u, 26u}) {
    EXPECT_EQ(interrupts.read(1), 1u);
    EXPECT_EQ(interrupts.read(1), intid - 16);
    EXPECT_EQ(interrupts.read(1), 4u);
  }
  EXPECT_TRUE(interrupts.empty());
}

// What Linux's xen_early_init and xen_guest_init look for (see
// ../shared/reference/xen-arm-guest-abi.md, section 1.1).
TEST_F(GuestDeviceTreeTest, HypervisorNode) {
  open(kPlatform);
  auto hypervisor = fdt_.find_path("/hypervisor");
  ASSERT_TRUE(hypervisor);
  EXPECT_EQ(fdt_.name(*hypervisor), "hypervisor");  // no unit address
  EXPECT_EQ(fdt_.parent(*hypervisor), fdt_.root());
  EXPECT_EQ(strings("/hypervisor", "compatible"), (std::vector<std::string>{"xen,xen-4.17", "xen,xen"}));
  EXPECT_EQ(fdt_.find_compatible("xen,xen"), hypervisor);
  Fdt::Cells reg(*fdt_.property(*hypervisor, "reg"));
  EXPECT_EQ(reg.read(2), abi::kGuestGrantTableBase);
  EXPECT_EQ(reg.read(2), abi::kGuestGrantTableSize);
  EXPECT_TRUE(reg.empty());
  EXPECT_EQ(abi::kGuestGrantTableSize / 4096, 4096u);  // Linux maps up to max_nr_frames of it
  Fdt::Cells interrupts(*fdt_.property(*hypervisor, "interrupts"));
  EXPECT_EQ(interrupts.read(1), 1u);  // a PPI ...
  EXPECT_EQ(interrupts.read(1), abi::kGuestEventChannelIntid - 16);
  EXPECT_EQ(interrupts.read(1), 4u);  // ... level-triggered
  EXPECT_TRUE(interrupts.empty());
  auto gic = fdt_.find_compatible("arm,gic-v3");
  ASSERT_TRUE(gic);
  EXPECT_EQ(fdt_.u32_property(*hypervisor, "interrupt-parent"), fdt_.u32_property(*gic, "phandle"));

  // Neither window is RAM, nor does it meet the GIC.
  Platform platform;
  ASSERT_TRUE(parse_platform(fdt_, platform).is_ok());
  EXPECT_EQ(platform.memory_count, 1u);
  EXPECT_GT(abi::kGuestGrantTableBase, abi::kGuestGicrBase + abi::kGuestGicrSize);
  EXPECT_EQ(abi::kGuestGrantTableBase + abi::kGuestGrantTableSize, abi::kGuestMagicBase);
  EXPECT_LE(abi::kGuestMagicBase + abi::kGuestMagicSize, abi::kGuestRamBase);
  EXPECT_LT(abi::kGuestXenstoreRingIpa, abi::kGuestMagicBase + abi::kGuestMagicSize);
}

TEST_F(GuestDeviceTreeTest, InitrdInChosen) {
  open(kPlatform);
  auto chosen = fdt_.find_path("/chosen");
  ASSERT_TRUE(chosen);
  EXPECT_FALSE(fdt_.property(*chosen, "linux,initrd-start"));
  EXPECT_FALSE(fdt_.property(*chosen, "linux,initrd-end"));

  GuestPlatform guest = kPlatform;
  guest.initrd_start = 0x10042000000;
  guest.initrd_end = 0x10042123456;
  open(guest);
  chosen = fdt_.find_path("/chosen");
  ASSERT_TRUE(chosen);
  Fdt::Cells start(*fdt_.property(*chosen, "linux,initrd-start"));
  Fdt::Cells end(*fdt_.property(*chosen, "linux,initrd-end"));
  EXPECT_EQ(start.read(2), 0x10042000000u);
  EXPECT_EQ(end.read(2), 0x10042123456u);
  EXPECT_TRUE(start.empty());
  EXPECT_TRUE(end.empty());
  Platform platform;
  ASSERT_TRUE(parse_platform(fdt_, platform).is_ok());
  EXPECT_EQ(platform.bootargs, "console=hvc0 quiet");
}

TEST_F(GuestDeviceTreeTest, FollowsTheDomain) {
  open({0x10000000000, 2ull << 30, 1, ""});
  Platform platform;
  ASSERT_TRUE(parse_platform(fdt_, platform).is_ok());
  EXPECT_EQ(platform.memory[0].base, 0x10000000000u);
  EXPECT_EQ(platform.memory[0].size, 2ull << 30);
  EXPECT_EQ(platform.cpu_count, 1u);
  EXPECT_EQ(platform.gic_redistributors[0].size, abi::kGuestGicrStride);
  EXPECT_EQ(platform.bootargs, "");
  EXPECT_TRUE(fdt_.find_path("/memory@10000000000"));

  open({0x40000000, 2 << 20, abi::kMaxVcpusPerDomain, ""});
  ASSERT_TRUE(parse_platform(fdt_, platform).is_ok());
  EXPECT_EQ(platform.cpu_count, abi::kMaxVcpusPerDomain);
  EXPECT_EQ(platform.gic_redistributors[0].size, abi::kGuestGicrSize);
}

// Except for the one warning Linux forces: it finds /hypervisor by that exact
// name, so the node has a reg and no unit address (libxl's trees draw it too).
TEST(GuestDeviceTree, DtcReadsItWithoutWarnings) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/guest.dtb";
  GuestPlatform with_initrd = kPlatform;
  with_initrd.initrd_start = 0x42000000;
  with_initrd.initrd_end = 0x42100000;
  std::vector<uint8_t> blob = guest_device_tree(with_initrd);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(blob.data()), blob.size());
  std::FILE* dtc = popen(("dtc -W no-unit_address_vs_reg -I dtb -O dts -o /dev/null " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(dtc, nullptr);
  std::string output;
  char buffer[256];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, dtc)) output.append(buffer, n);
  EXPECT_EQ(pclose(dtc), 0);
  EXPECT_EQ(output, "");
}

TEST(FdtWriter, SharesPropertyNamesAndChecksBalance) {
  FdtWriter writer;
  writer.begin_node("");
  writer.begin_node("a");
  writer.property_u32("reg", 1);
  writer.end_node();
  writer.begin_node("b");
  writer.property_u32("reg", 2);
  writer.property_empty("flag");
  writer.end_node();
  EXPECT_THROW(writer.finish(), std::logic_error);
  writer.end_node();
  std::vector<uint8_t> blob = writer.finish();

  Fdt fdt;
  ASSERT_TRUE(Fdt::open(blob.data(), blob.size(), fdt).is_ok());
  EXPECT_EQ(fdt.u32_property(*fdt.find_path("/a"), "reg"), 1u);
  EXPECT_EQ(fdt.u32_property(*fdt.find_path("/b"), "reg"), 2u);
  EXPECT_EQ(fdt.property(*fdt.find_path("/b"), "flag")->size(), 0u);
  std::string text(blob.begin(), blob.end());
  EXPECT_EQ(text.find("reg"), text.rfind("reg"));  // one copy in the strings block
}

}  // namespace
}  // namespace septum::boot
