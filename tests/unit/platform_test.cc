// parse_platform on the QEMU virt-like tree and on variants that break one
// piece each, plus find_boot_arg.
#include "kernel/platform.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/support.h"

namespace septum {
namespace {

using test::FailsMentioning;

// Keeps the blob alive for as long as the Platform's string views point into it.
class PlatformTest : public ::testing::Test {
 protected:
  Status parse(std::string_view tree) {
    blob_ = test::read_device_tree(tree);
    Fdt fdt;
    SEPTUM_TRY(Fdt::open(blob_.data(), blob_.size(), fdt));
    return parse_platform(fdt, platform_);
  }

  void expect_range(Range actual, uint64_t base, uint64_t size) {
    EXPECT_EQ(actual.base, base);
    EXPECT_EQ(actual.size, size);
  }

  std::vector<uint8_t> blob_;
  Platform platform_;
};

TEST_F(PlatformTest, Virt) {
  Status status = parse("virt");
  ASSERT_TRUE(status.is_ok()) << status.message();

  ASSERT_EQ(platform_.memory_count, 1u);
  expect_range(platform_.memory[0], 0x40000000, 0x80000000);

  // /memreserve/ first, then /reserved-memory children with a 'reg'; the
  // dynamically placed pool has none and is skipped.
  ASSERT_EQ(platform_.reserved_count, 2u);
  expect_range(platform_.reserved[0], 0x48000000, 0x100000);
  expect_range(platform_.reserved[1], 0x7ff00000, 0x100000);

  ASSERT_EQ(platform_.cpu_count, 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(platform_.cpu_mpidr[i], i);

  expect_range(platform_.gic_distributor, 0x08000000, 0x10000);
  ASSERT_EQ(platform_.gic_redistributor_count, 1u);
  expect_range(platform_.gic_redistributors[0], 0x080a0000, 0xf60000);
  EXPECT_EQ(platform_.gic_maintenance_intid, 25u);  // PPI 9

  EXPECT_EQ(platform_.timer_secure_intid, 29u);
  EXPECT_EQ(platform_.timer_physical_intid, 30u);
  EXPECT_EQ(platform_.timer_virtual_intid, 27u);
  EXPECT_EQ(platform_.timer_hypervisor_intid, 26u);

  EXPECT_EQ(platform_.psci_conduit, PsciConduit::smc);
  expect_range(platform_.uart, 0x09000000, 0x1000);
  EXPECT_EQ(platform_.bootargs, "console=ttyAMA0 septum.log=debug quiet");
}

TEST_F(PlatformTest, ParsingResetsThePreviousContents) {
  ASSERT_TRUE(parse("virt").is_ok());
  Status status = parse("no_uart");
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(platform_.memory_count, 1u);
  EXPECT_EQ(platform_.cpu_count, 4u);
  EXPECT_EQ(platform_.reserved_count, 2u);
}

TEST_F(PlatformTest, PsciOverHvc) {
  Status status = parse("psci_hvc");
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(platform_.psci_conduit, PsciConduit::hvc);
}

TEST_F(PlatformTest, StdoutPathSelectsTheUart) {
  Status status = parse("uart_stdout_path");
  ASSERT_TRUE(status.is_ok()) << status.message();
  expect_range(platform_.uart, 0x09040000, 0x1000);
}

TEST_F(PlatformTest, NoUartIsNotAnError) {
  Status status = parse("no_uart");
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(platform_.uart.size, 0u);
}

TEST_F(PlatformTest, NoMemory) { EXPECT_TRUE(FailsMentioning(parse("no_memory"), "no memory node")); }

TEST_F(PlatformTest, NoCpus) { EXPECT_TRUE(FailsMentioning(parse("no_cpus"), "no /cpus node")); }

TEST_F(PlatformTest, NoGic) { EXPECT_TRUE(FailsMentioning(parse("no_gic"), "GICv3")); }

TEST_F(PlatformTest, GicWithoutRedistributor) {
  EXPECT_TRUE(FailsMentioning(parse("gic_no_redistributor"), "GIC 'reg' has 1 entries"));
}

TEST_F(PlatformTest, TimerWithoutHypervisorPpiAsInAGuestTree) {
  Status status = parse("timer_three_ppis");
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(platform_.timer_virtual_intid, 27u);
  EXPECT_EQ(platform_.timer_hypervisor_intid, 0u);
}

TEST_F(PlatformTest, TimerWithAnSpi) {
  EXPECT_TRUE(FailsMentioning(parse("timer_spi"), "timer 'interrupts' entry 1 is missing or not a PPI"));
}

TEST_F(PlatformTest, UnknownPsciMethod) { EXPECT_TRUE(FailsMentioning(parse("psci_bad_method"), "PSCI 'method'")); }

TEST_F(PlatformTest, MemoryRegWithWrongCellCount) {
  EXPECT_TRUE(FailsMentioning(parse("memory_bad_reg"),
                              "'reg' of memory@40000000 has 12 bytes for #address-cells 2 / #size-cells 2"));
}

TEST_F(PlatformTest, CpuRegWithWrongCellCount) {
  EXPECT_TRUE(FailsMentioning(parse("cpu_bad_reg"), "cpu cpu@1 has a missing or malformed 'reg'"));
}

TEST(FindBootArg, KeyWithValue) {
  constexpr std::string_view cmdline = "console=ttyAMA0 septum.log=debug quiet";
  EXPECT_EQ(find_boot_arg(cmdline, "console"), "ttyAMA0");
  EXPECT_EQ(find_boot_arg(cmdline, "septum.log"), "debug");
}

TEST(FindBootArg, BareKeyHasAnEmptyValue) {
  auto quiet = find_boot_arg("console=ttyAMA0 quiet", "quiet");
  ASSERT_TRUE(quiet);
  EXPECT_EQ(*quiet, "");
}

TEST(FindBootArg, EmptyValue) { EXPECT_EQ(find_boot_arg("a= b=1", "a"), ""); }

TEST(FindBootArg, Absent) {
  EXPECT_EQ(find_boot_arg("console=ttyAMA0 quiet", "debug"), std::nullopt);
  EXPECT_EQ(find_boot_arg("", "quiet"), std::nullopt);
}

TEST(FindBootArg, OnlyWholeKeysMatch) {
  EXPECT_EQ(find_boot_arg("septum.log=debug", "septum"), std::nullopt);
  EXPECT_EQ(find_boot_arg("log=debug", "septum.log"), std::nullopt);
  EXPECT_EQ(find_boot_arg("quietly", "quiet"), std::nullopt);
  EXPECT_EQ(find_boot_arg("xquiet", "quiet"), std::nullopt);
}

TEST(FindBootArg, FirstOccurrenceWins) { EXPECT_EQ(find_boot_arg("n=1 n=2", "n"), "1"); }

TEST(FindBootArg, ValueMayContainEquals) { EXPECT_EQ(find_boot_arg("root=PARTUUID=abcd ro", "root"), "PARTUUID=abcd"); }

TEST(FindBootArg, RepeatedSpaces) { EXPECT_EQ(find_boot_arg("  a=1   b=2  ", "b"), "2"); }

}  // namespace
}  // namespace septum
