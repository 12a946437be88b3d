#include "kernel/vgic.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace septum {
namespace {

// The core keeps one VirtualGic per domain inside constinit globals.
constinit VirtualGic constant_initialised;

constexpr uint64_t kStride = abi::kGuestGicrStride;
constexpr uint64_t kSgiBase = 0x10000;

// Distributor (and, for the interrupt registers, SGI_base) offsets.
constexpr uint64_t kGicdCtlr = 0x0000;
constexpr uint64_t kGicdTyper = 0x0004;
constexpr uint64_t kGicdIidr = 0x0008;
constexpr uint64_t kGicdTyper2 = 0x000c;
constexpr uint64_t kGicdStatusr = 0x0010;
constexpr uint64_t kGicdSetspiNsr = 0x0040;
constexpr uint64_t kIgroupr = 0x0080;
constexpr uint64_t kIsenabler = 0x0100;
constexpr uint64_t kIcenabler = 0x0180;
constexpr uint64_t kIspendr = 0x0200;
constexpr uint64_t kIcpendr = 0x0280;
constexpr uint64_t kIsactiver = 0x0300;
constexpr uint64_t kIcactiver = 0x0380;
constexpr uint64_t kIpriorityr = 0x0400;
constexpr uint64_t kItargetsr = 0x0800;
constexpr uint64_t kIcfgr = 0x0c00;
constexpr uint64_t kIgrpmodr = 0x0d00;
constexpr uint64_t kNsacr = 0x0e00;
constexpr uint64_t kGicdSgir = 0x0f00;
constexpr uint64_t kGicdSpendsgir = 0x0f20;
constexpr uint64_t kGicdIsenablerE = 0x1200;
constexpr uint64_t kGicdIrouter = 0x6000;
constexpr uint64_t kPidr2 = 0xffe8;

// Redistributor RD_base offsets.
constexpr uint64_t kGicrCtlr = 0x0000;
constexpr uint64_t kGicrIidr = 0x0004;
constexpr uint64_t kGicrTyper = 0x0008;
constexpr uint64_t kGicrWaker = 0x0014;
constexpr uint64_t kGicrPropbaser = 0x0070;
constexpr uint64_t kGicrPendbaser = 0x0078;

constexpr uint32_t kEnableGrp0 = 1u << 0;
constexpr uint32_t kEnableGrp1 = 1u << 1;
constexpr uint32_t kAre = 1u << 4;
constexpr uint32_t kDs = 1u << 6;

constexpr uint32_t kTimer = abi::kGuestTimerVirtualIntid;

// ICH_LR<n>_EL2 fields.
enum LrState : unsigned { kInvalid = 0, kPending = 1, kActive = 2, kPendingActive = 3 };
uint32_t lr_intid(uint64_t lr) { return static_cast<uint32_t>(lr); }
unsigned lr_state(uint64_t lr) { return static_cast<unsigned>(lr >> 62); }
unsigned lr_priority(uint64_t lr) { return (lr >> 48) & 0xff; }
unsigned lr_group(uint64_t lr) { return (lr >> 60) & 1; }
bool lr_hw(uint64_t lr) { return (lr >> 61) & 1; }
uint64_t lr_physical(uint64_t lr) { return (lr >> 32) & 0x1fff; }
// What the hardware does to an LR when the guest acknowledges or EOIs.
void set_state(uint64_t& lr, LrState state) { lr = (lr & ~(3ull << 62)) | uint64_t{state} << 62; }

uint64_t sgi1r(uint32_t intid, uint16_t target_list, uint64_t aff1 = 0, uint64_t range = 0) {
  return uint64_t{intid} << 24 | target_list | aff1 << 16 | range << 44;
}
constexpr uint64_t kSgi1rAllButSelf = 1ull << 40;

class VgicTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kVcpus = 4;

  void SetUp() override { gic_.init(kVcpus); }

  uint64_t gicd(uint64_t offset, unsigned width = 4) {
    uint64_t value = 0xdeadbeef;
    Status status = gic_.read_distributor(0, offset, width, value);
    EXPECT_TRUE(status.is_ok()) << status.message();
    return value;
  }
  VcpuMask set_gicd(uint64_t offset, uint64_t value, unsigned width = 4) {
    VcpuMask kick = ~0u;
    Status status = gic_.write_distributor(0, offset, width, value, kick);
    EXPECT_TRUE(status.is_ok()) << status.message();
    return kick;
  }
  // `offset` within vCPU `frame`'s redistributor (add kSgiBase for SGI_base).
  uint64_t gicr(uint32_t frame, uint64_t offset, unsigned width = 4) {
    uint64_t value = 0xdeadbeef;
    Status status = gic_.read_redistributor(0, frame * kStride + offset, width, value);
    EXPECT_TRUE(status.is_ok()) << status.message();
    return value;
  }
  VcpuMask set_gicr(uint32_t frame, uint64_t offset, uint64_t value, unsigned width = 4) {
    VcpuMask kick = ~0u;
    Status status = gic_.write_redistributor(0, frame * kStride + offset, width, value, kick);
    EXPECT_TRUE(status.is_ok()) << status.message();
    return kick;
  }
  bool gicd_fails(bool write, uint64_t offset, unsigned width) {
    uint64_t value = 0;
    VcpuMask kick = 0;
    return write ? !gic_.write_distributor(0, offset, width, 0, kick).is_ok()
                 : !gic_.read_distributor(0, offset, width, value).is_ok();
  }
  bool gicr_fails(bool write, uint64_t offset, unsigned width) {
    uint64_t value = 0;
    VcpuMask kick = 0;
    return write ? !gic_.write_redistributor(0, offset, width, 0, kick).is_ok()
                 : !gic_.read_redistributor(0, offset, width, value).is_ok();
  }

  // Configures `intid` the way Linux does (group 1, priority, enabled); SGIs
  // and PPIs in `vcpu`'s redistributor. Returns the kick of the enable write.
  VcpuMask configure(uint32_t vcpu, uint32_t intid, uint8_t priority = 0xa0, bool group1 = true) {
    bool banked = intid < 32;
    auto read = [&](uint64_t offset) { return banked ? gicr(vcpu, kSgiBase + offset) : gicd(offset); };
    auto write = [&](uint64_t offset, uint64_t value, unsigned width = 4) {
      return banked ? set_gicr(vcpu, kSgiBase + offset, value, width) : set_gicd(offset, value, width);
    };
    uint64_t group_register = kIgroupr + intid / 32 * 4;
    uint64_t groups = read(group_register);
    write(group_register, group1 ? groups | 1u << (intid % 32) : groups & ~(1u << (intid % 32)));
    write(kIpriorityr + intid, priority, 1);
    return write(kIsenabler + intid / 32 * 4, 1u << (intid % 32));
  }
  void enable_groups(uint32_t groups = kEnableGrp0 | kEnableGrp1) { set_gicd(kGicdCtlr, groups); }
  void route(uint32_t intid, uint64_t irouter) { set_gicd(kGicdIrouter + 8 * intid, irouter, 8); }

  std::vector<uint64_t> enter(uint32_t vcpu, size_t list_registers, bool* underflow = nullptr) {
    std::vector<uint64_t> lrs(list_registers, 0xdeadbeef);
    bool flag = true;
    gic_.flush(vcpu, lrs, flag);
    if (underflow) *underflow = flag;
    return lrs;
  }
  VcpuMask exit(uint32_t vcpu, const std::vector<uint64_t>& lrs) { return gic_.sync(vcpu, lrs); }

  VirtualGic gic_;
};

TEST(Vgic, ConstantInitialisedIsInert) {
  EXPECT_FALSE(constant_initialised.has_deliverable(0));
  uint64_t value = 1;
  EXPECT_TRUE(constant_initialised.read_distributor(0, kGicdCtlr, 4, value).is_ok());
  EXPECT_EQ(value, kAre | kDs);
}

// ---------------------------------------------------------------- distributor registers

TEST_F(VgicTest, DistributorResetValues) {
  EXPECT_EQ(gicd(kGicdCtlr), kAre | kDs);
  uint64_t typer = gicd(kGicdTyper);
  EXPECT_EQ(typer & 0x1f, (32 + VirtualGic::kSpiCount) / 32 - 1);  // ITLinesNumber
  EXPECT_EQ((typer >> 19) & 0x1f, 9u);                             // IDbits: 10 bits
  EXPECT_EQ(typer & ~(0x1full | 0x1full << 19), 0u);  // CPUNumber, SecurityExtn, MBIS, LPIS, ESPI, RSS, ...
  EXPECT_EQ(gicd(kGicdIidr), 0u);
  EXPECT_EQ(gicd(kGicdTyper2), 0u);
  EXPECT_EQ(gicd(kGicdStatusr), 0u);
  EXPECT_EQ(gicd(kPidr2) & 0xf0, 0x30u);  // ArchRev: GICv3
  for (uint64_t n = 1; n <= VirtualGic::kSpiCount / 32; ++n) {
    EXPECT_EQ(gicd(kIgroupr + 4 * n), 0u);
    EXPECT_EQ(gicd(kIsenabler + 4 * n), 0u);
    EXPECT_EQ(gicd(kIspendr + 4 * n), 0u);
    EXPECT_EQ(gicd(kIsactiver + 4 * n), 0u);
  }
  EXPECT_EQ(gicd(kIpriorityr + 32), 0u);
  EXPECT_EQ(gicd(kIcfgr + 8), 0u);  // SPIs level
  EXPECT_EQ(gicd(kGicdIrouter + 8 * 32, 8), 0u);
}

TEST_F(VgicTest, CtlrKeepsOnlyTheGroupEnables) {
  set_gicd(kGicdCtlr, 0xffffffff);
  EXPECT_EQ(gicd(kGicdCtlr), kAre | kDs | kEnableGrp0 | kEnableGrp1);  // RWP reads 0
  set_gicd(kGicdCtlr, 0);
  EXPECT_EQ(gicd(kGicdCtlr), kAre | kDs);  // ARE and DS are RAO/WI
  set_gicd(kGicdCtlr, kEnableGrp1);
  EXPECT_EQ(gicd(kGicdCtlr), kAre | kDs | kEnableGrp1);
}

TEST_F(VgicTest, ReadOnlyRegistersIgnoreWrites) {
  uint64_t typer = gicd(kGicdTyper);
  set_gicd(kGicdTyper, 0);
  set_gicd(kPidr2, 0);
  EXPECT_EQ(gicd(kGicdTyper), typer);
  EXPECT_EQ(gicd(kPidr2) & 0xf0, 0x30u);
}

TEST_F(VgicTest, DistributorRegistersOfSgisAndPpisAreRazWi) {
  for (uint64_t offset : {kIgroupr, kIsenabler, kIspendr, kIsactiver, kIcfgr, kIcfgr + 4}) {
    set_gicd(offset, 0xffffffff);
    EXPECT_EQ(gicd(offset), 0u) << std::hex << offset;
  }
  for (uint64_t offset = kIpriorityr; offset < kIpriorityr + 32; offset += 4) {
    set_gicd(offset, 0xffffffff);
    EXPECT_EQ(gicd(offset), 0u);
  }
  // The redistributor's copies are untouched.
  EXPECT_EQ(gicr(0, kSgiBase + kIsenabler), 0u);
  EXPECT_EQ(gicr(0, kSgiBase + kIpriorityr), 0u);
}

TEST_F(VgicTest, UnimplementedRegistersAreRazWi) {
  struct Case {
    uint64_t offset;
    unsigned width;
  };
  uint64_t beyond_spis = 4 * ((32 + VirtualGic::kSpiCount) / 32);
  for (Case c : {Case{kIgrpmodr + 4, 4}, Case{kNsacr + 8, 4}, Case{kItargetsr + 33, 1}, Case{kItargetsr + 32, 4},
                 Case{kGicdSgir, 4}, Case{kGicdSpendsgir + 1, 1}, Case{kGicdSetspiNsr, 4},
                 Case{kGicdIsenablerE, 4}, Case{kIsenabler + beyond_spis, 4}, Case{kGicdStatusr, 4},
                 Case{kGicdIrouter + 8 * 20, 8}, Case{kGicdIrouter + 8 * 1019, 8}, Case{0xa000, 8}}) {
    set_gicd(c.offset, 0xffffffff, c.width);
    EXPECT_EQ(gicd(c.offset, c.width), 0u) << std::hex << c.offset;
  }
}

TEST_F(VgicTest, BadAccessesAreErrors) {
  for (bool write : {false, true}) {
    EXPECT_TRUE(gicd_fails(write, kIsenabler + 4 + 1, 4));     // misaligned
    EXPECT_TRUE(gicd_fails(write, kIpriorityr + 32, 2));        // halfword
    EXPECT_TRUE(gicd_fails(write, kIsenabler + 4, 1));          // byte to a word-only register
    EXPECT_TRUE(gicd_fails(write, kGicdCtlr, 8));               // 64 bits to a 32-bit register
    EXPECT_TRUE(gicd_fails(write, kGicdIidr, 8));
    EXPECT_TRUE(gicd_fails(write, kGicdIrouter + 8 * 40, 1));   // byte to a 64-bit register
    EXPECT_TRUE(gicd_fails(write, kGicdIrouter + 8 * 40 + 4, 8));
    EXPECT_TRUE(gicd_fails(write, kGicdSetspiNsr, 1));          // reserved space takes 32/64-bit only
    EXPECT_TRUE(gicd_fails(write, kGicdCtlr, 3));
    EXPECT_TRUE(gicd_fails(write, kGicdCtlr, 16));
    EXPECT_TRUE(gicd_fails(write, abi::kGuestGicdSize, 4));     // outside the frame
    EXPECT_TRUE(gicr_fails(write, kGicrTyper, 1));
    EXPECT_TRUE(gicr_fails(write, kGicrWaker, 8 /* misaligned too */));
    EXPECT_TRUE(gicr_fails(write, kGicrCtlr, 8));
    EXPECT_TRUE(gicr_fails(write, kSgiBase + kIcfgr + 4, 2));
    EXPECT_TRUE(gicr_fails(write, abi::kGuestGicrSize, 4));
  }
  uint64_t value = 0;
  Status status = gic_.read_distributor(0, kIsenabler + 6, 4, value);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("GICD+0x106"), std::string_view::npos) << status.message();
}

TEST_F(VgicTest, SpiSetAndClearRegisters) {
  struct Pair {
    uint64_t set, clear;
  };
  for (Pair p : {Pair{kIsenabler, kIcenabler}, Pair{kIspendr, kIcpendr}, Pair{kIsactiver, kIcactiver}}) {
    set_gicd(p.set + 4, 0x5);
    set_gicd(p.set + 8, 0x80000000);
    EXPECT_EQ(gicd(p.set + 4), 0x5u);
    EXPECT_EQ(gicd(p.clear + 4), 0x5u);  // both views read the state
    set_gicd(p.clear + 4, 0x1);
    EXPECT_EQ(gicd(p.set + 4), 0x4u);
    EXPECT_EQ(gicd(p.set + 8), 0x80000000u);
  }
  set_gicd(kIgroupr + 8, 0x12345678);
  EXPECT_EQ(gicd(kIgroupr + 8), 0x12345678u);
}

TEST_F(VgicTest, IpriorityrIsByteAccessibleAndKeepsFiveBits) {
  set_gicd(kIpriorityr + 33, 0xff, 1);
  EXPECT_EQ(gicd(kIpriorityr + 33, 1), 0xf8u);
  EXPECT_EQ(gicd(kIpriorityr + 32), 0xf800u);
  set_gicd(kIpriorityr + 36, 0x10203040);
  EXPECT_EQ(gicd(kIpriorityr + 36), 0x10203040u);
  EXPECT_EQ(gicd(kIpriorityr + 38, 1), 0x20u);
  set_gicd(kIpriorityr + 40, 0x07a1c3ff);
  EXPECT_EQ(gicd(kIpriorityr + 40), 0x00a0c0f8u);
  set_gicr(2, kSgiBase + kIpriorityr + kTimer, 0x80, 1);
  EXPECT_EQ(gicr(2, kSgiBase + kIpriorityr + 24), 0x80u << 24);
  EXPECT_EQ(gicr(1, kSgiBase + kIpriorityr + 24), 0u);
}

TEST_F(VgicTest, IcfgrSgisEdgeReadOnlyOthersProgrammable) {
  EXPECT_EQ(gicr(0, kSgiBase + kIcfgr), 0xaaaaaaaau);
  set_gicr(0, kSgiBase + kIcfgr, 0);
  EXPECT_EQ(gicr(0, kSgiBase + kIcfgr), 0xaaaaaaaau);
  EXPECT_EQ(gicr(0, kSgiBase + kIcfgr + 4), 0u);  // PPIs reset level
  set_gicr(0, kSgiBase + kIcfgr + 4, 0xffffffff);
  EXPECT_EQ(gicr(0, kSgiBase + kIcfgr + 4), 0xaaaaaaaau);  // the low bit of each field is RES0
  EXPECT_EQ(gicr(1, kSgiBase + kIcfgr + 4), 0u);
  set_gicd(kIcfgr + 8, 0x2 << 6);  // INTID 35 edge
  EXPECT_EQ(gicd(kIcfgr + 8), 0x2u << 6);
  EXPECT_EQ(gicr(0, kSgiBase + kIcfgr + 8), 0u);  // no INTIDs >= 32 in a redistributor
}

TEST_F(VgicTest, IrouterWholeAndByHalves) {
  uint64_t irouter = kGicdIrouter + 8 * 40;
  set_gicd(irouter, 0xffffffffffffffff, 8);
  EXPECT_EQ(gicd(irouter, 8), 0xff80ffffffull);  // Aff3, IRM, Aff2..Aff0
  set_gicd(irouter, 0x00000003, 4);
  EXPECT_EQ(gicd(irouter, 8), 0xff00000003ull);
  set_gicd(irouter + 4, 0, 4);
  EXPECT_EQ(gicd(irouter, 8), 0x3u);
  EXPECT_EQ(gicd(irouter, 4), 0x3u);
  EXPECT_EQ(gicd(irouter + 4, 4), 0u);
}

// ---------------------------------------------------------------- redistributor registers

TEST_F(VgicTest, GicrTyperPerFrame) {
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) {
    uint64_t typer = gicr(vcpu, kGicrTyper, 8);
    EXPECT_EQ(typer >> 32, abi::guest_mpidr(vcpu));  // Affinity_Value
    EXPECT_EQ((typer >> 8) & 0xffff, vcpu);          // Processor_Number
    EXPECT_EQ((typer >> 4) & 1, vcpu == kVcpus - 1 ? 1u : 0u) << vcpu;  // Last
    EXPECT_EQ(typer & 0xef, 0u);                     // no PLPIS, VLPIS, DirectLPI, DPGS, ...
    EXPECT_EQ(gicr(vcpu, kGicrTyper, 4), typer & 0xffffffff);
    EXPECT_EQ(gicr(vcpu, kGicrTyper + 4, 4), typer >> 32);
    EXPECT_EQ(gicr(vcpu, kPidr2) & 0xf0, 0x30u);
  }
  set_gicr(1, kGicrTyper, 0, 8);
  EXPECT_EQ(gicr(1, kGicrTyper, 8) >> 32, abi::guest_mpidr(1));
}

TEST_F(VgicTest, FramesPastTheVcpusAreRazWi) {
  uint32_t absent = kVcpus;
  EXPECT_EQ(gicr(absent, kPidr2), 0u);
  EXPECT_EQ(gicr(absent, kGicrTyper, 8), 0u);
  set_gicr(absent, kSgiBase + kIsenabler, 0xffffffff);
  EXPECT_EQ(gicr(absent, kSgiBase + kIsenabler), 0u);
  EXPECT_EQ(gicr(abi::kMaxVcpusPerDomain - 1, kGicrWaker), 0u);
}

TEST_F(VgicTest, WakerHandshake) {
  EXPECT_EQ(gicr(1, kGicrWaker), 0x6u);  // ProcessorSleep and ChildrenAsleep after reset
  set_gicr(1, kGicrWaker, 0);
  EXPECT_EQ(gicr(1, kGicrWaker), 0u);
  EXPECT_EQ(gicr(0, kGicrWaker), 0x6u);
  set_gicr(1, kGicrWaker, 0x2);
  EXPECT_EQ(gicr(1, kGicrWaker), 0x6u);
  set_gicr(1, kGicrWaker, 0x4);  // ChildrenAsleep is read-only
  EXPECT_EQ(gicr(1, kGicrWaker), 0u);
}

TEST_F(VgicTest, RedistributorRazWiRegisters) {
  for (uint64_t offset : {kGicrCtlr, kGicrIidr}) {
    set_gicr(0, offset, 0xffffffff);
    EXPECT_EQ(gicr(0, offset), 0u);
  }
  for (uint64_t offset : {kGicrPropbaser, kGicrPendbaser}) {
    set_gicr(0, offset, ~0ull, 8);
    EXPECT_EQ(gicr(0, offset, 8), 0u);
  }
  for (uint64_t offset : {kIgrpmodr, kNsacr, kIgroupr + 4, kIsenabler + 4}) {  // n = 0 only in SGI_base
    set_gicr(0, kSgiBase + offset, 0xffffffff);
    EXPECT_EQ(gicr(0, kSgiBase + offset), 0u) << std::hex << offset;
  }
}

TEST_F(VgicTest, PrivateRegistersAreBankedPerVcpu) {
  set_gicr(1, kSgiBase + kIsenabler, 1u << kTimer | 0x3);
  set_gicr(1, kSgiBase + kIspendr, 0x10);
  set_gicr(1, kSgiBase + kIsactiver, 0x20);
  set_gicr(1, kSgiBase + kIgroupr, 0xffffffff);
  EXPECT_EQ(gicr(1, kSgiBase + kIsenabler), 1u << kTimer | 0x3);
  EXPECT_EQ(gicr(1, kSgiBase + kIspendr), 0x10u);
  EXPECT_EQ(gicr(1, kSgiBase + kIcactiver), 0x20u);
  EXPECT_EQ(gicr(1, kSgiBase + kIgroupr), 0xffffffffu);
  for (uint32_t other : {0u, 2u, 3u}) {
    EXPECT_EQ(gicr(other, kSgiBase + kIsenabler), 0u);
    EXPECT_EQ(gicr(other, kSgiBase + kIspendr), 0u);
    EXPECT_EQ(gicr(other, kSgiBase + kIsactiver), 0u);
    EXPECT_EQ(gicr(other, kSgiBase + kIgroupr), 0u);
  }
  set_gicr(1, kSgiBase + kIcenabler, 0x1);
  EXPECT_EQ(gicr(1, kSgiBase + kIsenabler), 1u << kTimer | 0x2);
}

// ---------------------------------------------------------------- SGIs

TEST_F(VgicTest, SgiTargetListSelectsVcpus) {
  enable_groups();
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) configure(vcpu, 3);
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(3, 0b0110)), 0b0110u);
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) {
    EXPECT_EQ(gicr(vcpu, kSgiBase + kIspendr), vcpu == 1 || vcpu == 2 ? 1u << 3 : 0u) << vcpu;
  }
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(3, 0b0110)), 0u);  // already pending: nothing new to kick
  EXPECT_EQ(gic_.send_sgi(2, sgi1r(3, 0b0100)), 0u);  // to itself, already pending
  EXPECT_EQ(gic_.send_sgi(1, sgi1r(3, 0b0001)), 0b0001u);
}

TEST_F(VgicTest, SgiAffinityFieldsMustMatch) {
  enable_groups();
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) configure(vcpu, 5);
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(5, 0xffff, /*aff1=*/1)), 0u);
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(5, 0xffff, 0, /*range=*/1)), 0u);
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(5, 0xffff) | 1ull << 32), 0u);  // Aff2
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(5, 0xffff) | 1ull << 48), 0u);  // Aff3
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) EXPECT_EQ(gicr(vcpu, kSgiBase + kIspendr), 0u);
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(5, 0xfff0)), 0u);  // Aff0 4.. names no vCPU of this domain
  EXPECT_EQ(gic_.send_sgi(kVcpus, sgi1r(5, 0xf)), 0u);  // no such sender
}

TEST_F(VgicTest, SgiIrmReachesAllButSelf) {
  enable_groups();
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) configure(vcpu, 1);
  EXPECT_EQ(gic_.send_sgi(2, kSgi1rAllButSelf | sgi1r(1, 0, /*aff1 ignored*/ 7)), 0b1011u);
  EXPECT_EQ(gicr(2, kSgiBase + kIspendr), 0u);
  EXPECT_EQ(gicr(3, kSgiBase + kIspendr), 1u << 1);
}

TEST_F(VgicTest, DisabledSgiPendsWithoutKickUntilEnabled) {
  enable_groups();
  EXPECT_EQ(gic_.send_sgi(0, sgi1r(7, 0b0010)), 0u);
  EXPECT_EQ(gicr(1, kSgiBase + kIspendr), 1u << 7);
  EXPECT_FALSE(gic_.has_deliverable(1));
  EXPECT_EQ(configure(1, 7), 0b0010u);
  EXPECT_TRUE(gic_.has_deliverable(1));
}

// ---------------------------------------------------------------- raise and routing

TEST_F(VgicTest, SpisFollowIrouter) {
  enable_groups();
  configure(0, 40);
  route(40, abi::guest_mpidr(2));
  EXPECT_EQ(gic_.raise(0, 40), std::optional<uint32_t>(2));  // the `vcpu` argument does not matter for SPIs
  EXPECT_FALSE(gic_.has_deliverable(0));
  EXPECT_TRUE(gic_.has_deliverable(2));
  EXPECT_EQ(lr_state(enter(0, 4)[0]), kInvalid);
  std::vector<uint64_t> lrs = enter(2, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 40u);
  EXPECT_EQ(lr_state(lrs[0]), kPending);
}

TEST_F(VgicTest, IrouterToNoVcpuHoldsTheSpiUntilRerouted) {
  enable_groups();
  configure(0, 41);
  route(41, 0x100);  // Aff1 = 1: no such vCPU
  EXPECT_EQ(gic_.raise(0, 41), std::nullopt);
  for (uint32_t vcpu = 0; vcpu < kVcpus; ++vcpu) EXPECT_FALSE(gic_.has_deliverable(vcpu));
  EXPECT_EQ(gicd(kIspendr + 4), 1u << 9);
  VcpuMask kick = ~0u;
  ASSERT_TRUE(gic_.write_distributor(0, kGicdIrouter + 8 * 41, 8, abi::guest_mpidr(3), kick).is_ok());
  EXPECT_EQ(kick, 0b1000u);
}

TEST_F(VgicTest, IrouterAnyDeliversToVcpuZero) {
  enable_groups();
  configure(0, 42);
  route(42, 1ull << 31 | abi::guest_mpidr(3));
  EXPECT_EQ(gic_.raise(3, 42), std::optional<uint32_t>(0));
}

TEST_F(VgicTest, RaiseIgnoresUnknownInterrupts) {
  enable_groups();
  EXPECT_EQ(gic_.raise(0, VirtualGic::kIntidCount), std::nullopt);
  EXPECT_EQ(gic_.raise(kVcpus, kTimer), std::nullopt);
  EXPECT_EQ(gic_.raise(0, 1023), std::nullopt);
}

TEST_F(VgicTest, WritesKickVcpusThatGainADeliverableInterrupt) {
  configure(1, kTimer);
  configure(0, 50);
  route(50, abi::guest_mpidr(3));
  set_gicr(1, kSgiBase + kIspendr, 1u << kTimer);
  EXPECT_EQ(set_gicd(kIspendr + 4, 1u << (50 - 32)), 0u);  // groups still off
  EXPECT_EQ(set_gicd(kGicdCtlr, kEnableGrp1), 0b1010u);
  EXPECT_EQ(set_gicd(kGicdCtlr, kEnableGrp1 | kEnableGrp0), 0u);
  set_gicd(kIcpendr + 4, 1u << (50 - 32));
  EXPECT_FALSE(gic_.has_deliverable(3));
  EXPECT_EQ(set_gicd(kIspendr + 4, 1u << (50 - 32)), 0b1000u);
}

// ---------------------------------------------------------------- list registers

TEST_F(VgicTest, FlushEncodesListRegisters) {
  enable_groups();
  configure(1, kTimer, 0x88);
  gic_.raise(1, kTimer);
  bool underflow = true;
  std::vector<uint64_t> lrs = enter(1, 4, &underflow);
  EXPECT_FALSE(underflow);
  EXPECT_EQ(lr_intid(lrs[0]), kTimer);
  EXPECT_EQ(lr_state(lrs[0]), kPending);
  EXPECT_EQ(lr_priority(lrs[0]), 0x88u);
  EXPECT_EQ(lr_group(lrs[0]), 1u);
  EXPECT_FALSE(lr_hw(lrs[0]));
  EXPECT_EQ(lr_physical(lrs[0]), 0u);  // no EOI maintenance requested
  for (size_t i = 1; i < lrs.size(); ++i) EXPECT_EQ(lrs[i], 0u);
}

TEST_F(VgicTest, FlushPicksHighestPriorityFirst) {
  enable_groups();
  configure(0, 33, 0xa0);
  configure(0, 34, 0x20);
  configure(0, 35, 0xa0);
  configure(0, 20, 0x60);
  for (uint32_t intid : {33u, 34u, 35u, 20u}) gic_.raise(0, intid);
  std::vector<uint64_t> lrs = enter(0, 4);
  std::vector<uint32_t> order;
  for (uint64_t lr : lrs) order.push_back(lr_intid(lr));
  EXPECT_EQ(order, (std::vector<uint32_t>{34, 20, 33, 35}));  // equal priorities: lower INTID first
}

TEST_F(VgicTest, MorePendingThanListRegisters) {
  enable_groups();
  for (uint32_t i = 0; i < 6; ++i) {
    configure(0, 32 + i, static_cast<uint8_t>(0x10 * (i + 1)));
    gic_.raise(0, 32 + i);
  }
  bool underflow = false;
  std::vector<uint64_t> lrs = enter(0, 4, &underflow);
  EXPECT_TRUE(underflow);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(lr_intid(lrs[i]), 32 + i);

  // The guest takes the first three: acknowledges (pending -> active) and EOIs two of them.
  set_state(lrs[0], kInvalid);
  set_state(lrs[1], kInvalid);
  set_state(lrs[2], kActive);
  EXPECT_EQ(exit(0, lrs), 0u);
  EXPECT_TRUE(gic_.has_deliverable(0));
  lrs = enter(0, 4, &underflow);
  EXPECT_FALSE(underflow);
  EXPECT_EQ(lr_intid(lrs[0]), 34u);  // active first
  EXPECT_EQ(lr_state(lrs[0]), kActive);
  EXPECT_EQ(lr_intid(lrs[1]), 35u);  // still pending: handed over again
  EXPECT_EQ(lr_state(lrs[1]), kPending);
  EXPECT_EQ(lr_intid(lrs[2]), 36u);
  EXPECT_EQ(lr_intid(lrs[3]), 37u);

  for (uint64_t& lr : lrs) set_state(lr, kInvalid);
  exit(0, lrs);
  EXPECT_FALSE(gic_.has_deliverable(0));
  lrs = enter(0, 4, &underflow);
  EXPECT_FALSE(underflow);
  for (uint64_t lr : lrs) EXPECT_EQ(lr_state(lr), kInvalid);
  EXPECT_EQ(gicd(kIspendr + 4), 0u);
  EXPECT_EQ(gicd(kIsactiver + 4), 0u);
}

TEST_F(VgicTest, RaisedAgainWhileActiveBecomesPendingAndActive) {
  enable_groups();
  configure(2, kTimer);
  gic_.raise(2, kTimer);
  std::vector<uint64_t> lrs = enter(2, 4);
  set_state(lrs[0], kActive);  // acknowledged, handler running
  exit(2, lrs);
  EXPECT_EQ(gicr(2, kSgiBase + kIsactiver), 1u << kTimer);
  EXPECT_EQ(gicr(2, kSgiBase + kIspendr), 0u);
  EXPECT_EQ(gic_.raise(2, kTimer), std::optional<uint32_t>(2));
  lrs = enter(2, 4);
  EXPECT_EQ(lr_intid(lrs[0]), kTimer);
  EXPECT_EQ(lr_state(lrs[0]), kPendingActive);
  set_state(lrs[0], kPending);  // EOI of the first activation
  exit(2, lrs);
  lrs = enter(2, 4);
  EXPECT_EQ(lr_state(lrs[0]), kPending);
}

TEST_F(VgicTest, RaisedAgainWhileInAListRegisterKicksItsVcpu) {
  enable_groups();
  configure(1, kTimer);
  configure(0, 44);
  route(44, abi::guest_mpidr(1));
  gic_.raise(1, kTimer);
  gic_.raise(1, 44);
  std::vector<uint64_t> lrs = enter(1, 4);  // vCPU 1 runs with both in its LRs
  EXPECT_FALSE(gic_.has_deliverable(1));
  EXPECT_EQ(gic_.raise(1, kTimer), std::optional<uint32_t>(1));
  EXPECT_EQ(gic_.raise(0, 44), std::nullopt);  // vCPU 1 is already being kicked
  for (uint64_t& lr : lrs) set_state(lr, kActive);
  exit(1, lrs);
  lrs = enter(1, 4);
  EXPECT_EQ(lr_state(lrs[0]), kPendingActive);
  EXPECT_EQ(lr_state(lrs[1]), kPendingActive);
}

TEST_F(VgicTest, ActiveInterruptsKeepTheirListRegister) {
  enable_groups();
  configure(0, 33, 0xf0);  // lowest priority, but active
  configure(0, 34, 0x10);
  configure(0, 35, 0x20);
  gic_.raise(0, 33);
  std::vector<uint64_t> lrs = enter(0, 2);
  set_state(lrs[0], kActive);
  exit(0, lrs);
  set_gicd(kIcenabler + 4, 1u << 1);  // disabling does not deactivate
  set_gicd(kIsenabler + 4, 1u << 1);
  gic_.raise(0, 34);
  gic_.raise(0, 35);
  bool underflow = false;
  lrs = enter(0, 2, &underflow);
  EXPECT_TRUE(underflow);
  EXPECT_EQ(lr_intid(lrs[0]), 33u);
  EXPECT_EQ(lr_state(lrs[0]), kActive);
  EXPECT_EQ(lr_intid(lrs[1]), 34u);

  // Active but disabled, and its group off: still listed, so the guest can EOI it.
  set_state(lrs[1], kInvalid);
  exit(0, lrs);
  set_gicd(kIcenabler + 4, 1u << 1);
  set_gicd(kGicdCtlr, 0);
  lrs = enter(0, 2, &underflow);
  EXPECT_FALSE(underflow);
  EXPECT_EQ(lr_intid(lrs[0]), 33u);
  EXPECT_EQ(lr_state(lrs[0]), kActive);
  EXPECT_EQ(lr_state(lrs[1]), kInvalid);
}

TEST_F(VgicTest, DisabledInterruptsAreNotDelivered) {
  enable_groups();
  gic_.raise(0, 16);                   // PPI never enabled
  set_gicd(kIspendr + 4, 1u << 5);     // SPI 37, not enabled
  EXPECT_FALSE(gic_.has_deliverable(0));
  bool underflow = true;
  std::vector<uint64_t> lrs = enter(0, 4, &underflow);
  EXPECT_FALSE(underflow);
  for (uint64_t lr : lrs) EXPECT_EQ(lr_state(lr), kInvalid);
  EXPECT_EQ(configure(0, 37), 0b0001u);
  lrs = enter(0, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 37u);
  set_gicr(0, kSgiBase + kIcpendr, 1u << 16);  // withdrawn before it was ever enabled
  EXPECT_EQ(configure(0, 16), 0u);
}

TEST_F(VgicTest, HasDeliverableFollowsGroupEnables) {
  configure(3, 9, 0xa0, /*group1=*/true);
  configure(3, 10, 0xa0, /*group1=*/false);
  gic_.send_sgi(0, sgi1r(9, 0b1000));
  EXPECT_FALSE(gic_.has_deliverable(3));  // GICD_CTLR: both groups off
  enable_groups(kEnableGrp0);
  EXPECT_FALSE(gic_.has_deliverable(3));
  enable_groups(kEnableGrp1);
  EXPECT_TRUE(gic_.has_deliverable(3));
  std::vector<uint64_t> lrs = enter(3, 4);
  EXPECT_EQ(lr_group(lrs[0]), 1u);
  for (uint64_t& lr : lrs) set_state(lr, kInvalid);
  exit(3, lrs);

  gic_.send_sgi(0, sgi1r(10, 0b1000));
  EXPECT_FALSE(gic_.has_deliverable(3));
  enable_groups(kEnableGrp0);
  EXPECT_TRUE(gic_.has_deliverable(3));
  lrs = enter(3, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 10u);
  EXPECT_EQ(lr_group(lrs[0]), 0u);  // the hardware signals it as a virtual FIQ
  exit(3, lrs);                     // not acknowledged yet
  EXPECT_TRUE(gic_.has_deliverable(3));
  set_gicr(3, kSgiBase + kIcenabler, 1u << 10);
  EXPECT_FALSE(gic_.has_deliverable(3));
}

TEST_F(VgicTest, ReroutedActiveSpiStaysUntilDeactivated) {
  enable_groups();
  configure(0, 45);
  route(45, abi::guest_mpidr(1));
  gic_.raise(0, 45);
  std::vector<uint64_t> lrs = enter(1, 4);
  set_state(lrs[0], kActive);
  route(45, abi::guest_mpidr(2));
  gic_.raise(0, 45);  // pending again while active on vCPU 1
  EXPECT_EQ(lr_state(enter(2, 4)[0]), kInvalid);  // not while vCPU 1 holds it
  exit(1, lrs);
  lrs = enter(1, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 45u);
  EXPECT_EQ(lr_state(lrs[0]), kPendingActive);  // active on vCPU 1: the new pending state goes along
  set_state(lrs[0], kPending);                  // the guest EOIs the first activation
  EXPECT_EQ(exit(1, lrs), 0b0100u);             // deactivated: now it follows IROUTER
  EXPECT_EQ(lr_state(enter(1, 4)[0]), kInvalid);
  lrs = enter(2, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 45u);
  EXPECT_EQ(lr_state(lrs[0]), kPending);
}

TEST_F(VgicTest, SyncKicksTheNewTargetOfAReroutedSpi) {
  enable_groups();
  configure(0, 46);
  route(46, abi::guest_mpidr(1));
  gic_.raise(0, 46);
  std::vector<uint64_t> lrs = enter(1, 4);
  set_state(lrs[0], kActive);
  exit(1, lrs);                       // active on vCPU 1
  lrs = enter(1, 4);
  route(46, abi::guest_mpidr(2));
  EXPECT_EQ(gic_.raise(0, 46), std::optional<uint32_t>(1));  // pending again: its holder is kicked
  set_state(lrs[0], kInvalid);        // vCPU 1 EOIs the first activation
  EXPECT_EQ(exit(1, lrs), 0b0100u);   // the pending one now belongs to vCPU 2
  EXPECT_TRUE(gic_.has_deliverable(2));
  EXPECT_FALSE(gic_.has_deliverable(1));
  lrs = enter(2, 4);
  EXPECT_EQ(lr_intid(lrs[0]), 46u);
  EXPECT_EQ(lr_state(lrs[0]), kPending);
}

TEST_F(VgicTest, FlushWithoutSyncTakesTheListRegistersBack) {
  enable_groups();
  configure(0, kTimer);
  gic_.raise(0, kTimer);
  std::vector<uint64_t> first = enter(0, 4);
  std::vector<uint64_t> second = enter(0, 4);
  EXPECT_EQ(first, second);
  EXPECT_EQ(lr_state(second[0]), kPending);
}

TEST_F(VgicTest, NoListRegistersMeansUnderflow) {
  enable_groups();
  configure(0, kTimer);
  gic_.raise(0, kTimer);
  bool underflow = false;
  enter(0, 0, &underflow);
  EXPECT_TRUE(underflow);
  EXPECT_TRUE(gic_.has_deliverable(0));
}

TEST_F(VgicTest, InitResets) {
  enable_groups();
  configure(1, kTimer);
  configure(0, 40);
  route(40, abi::guest_mpidr(3));
  gic_.raise(1, kTimer);
  gic_.raise(0, 40);
  set_gicr(1, kGicrWaker, 0);
  set_gicd(kIcfgr + 8, 0xaaaaaaaa);
  std::vector<uint64_t> lrs = enter(1, 4);

  gic_.init(2);
  EXPECT_EQ(gicd(kGicdCtlr), kAre | kDs);
  EXPECT_EQ(gicd(kIsenabler + 4), 0u);
  EXPECT_EQ(gicd(kIspendr + 4), 0u);
  EXPECT_EQ(gicd(kIpriorityr + 40, 1), 0u);
  EXPECT_EQ(gicd(kIcfgr + 8), 0u);
  EXPECT_EQ(gicd(kGicdIrouter + 8 * 40, 8), 0u);
  EXPECT_EQ(gicr(1, kSgiBase + kIsenabler), 0u);
  EXPECT_EQ(gicr(1, kSgiBase + kIspendr), 0u);
  EXPECT_EQ(gicr(1, kGicrWaker), 0x6u);
  EXPECT_EQ((gicr(1, kGicrTyper, 8) >> 4) & 1, 1u);  // now the last frame
  EXPECT_EQ(gicr(2, kGicrTyper, 8), 0u);
  EXPECT_EQ(exit(1, lrs), 0u);  // LRs from before the reset are forgotten
  EXPECT_EQ(gicr(1, kSgiBase + kIspendr), 0u);
  EXPECT_FALSE(gic_.has_deliverable(1));
  EXPECT_FALSE(gic_.has_deliverable(3));

  gic_.init(abi::kMaxVcpusPerDomain + 5);  // clamped
  EXPECT_EQ((gicr(abi::kMaxVcpusPerDomain - 1, kGicrTyper, 8) >> 4) & 1, 1u);
}

}  // namespace
}  // namespace septum
