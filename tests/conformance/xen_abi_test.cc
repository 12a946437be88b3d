// kernel/abi/xen.h on the host: its layout static_asserts hold for the host
// compiler too (the core's unit tests run there), and the derived constants
// are consistent.
#include <gtest/gtest.h>

#include "kernel/abi/xen.h"

namespace septum::xen {
namespace {

TEST(XenAbi, FifoEventWordBitsDoNotOverlapTheLink) {
  for (uint32_t bit : {kEvtchnFifoPending, kEvtchnFifoMasked, kEvtchnFifoLinked, kEvtchnFifoBusy}) {
    EXPECT_EQ((1u << bit) & kEvtchnFifoLinkMask, 0u) << bit;
  }
  EXPECT_EQ(kEvtchnFifoPorts, 131072u);
  EXPECT_EQ(kEvtchnFifoWordsPerPage, 1024u);
}

TEST(XenAbi, SharedStructuresFitTheirPages) {
  EXPECT_LE(sizeof(SharedInfo), kPageSize);
  EXPECT_EQ(kEvtchn2lPorts, 4096u);
  EXPECT_EQ(kGrantEntriesPerFrameV1, 512u);
  EXPECT_EQ(kGuestGnttabSize / kPageSize, 4096u);  // frames the grant window holds
}

TEST(XenAbi, ArmDomUFeatures) {
  EXPECT_TRUE(feature::kArmDomU & (1u << feature::kAutoTranslatedPhysmap));
  EXPECT_FALSE(feature::kArmDomU & (1u << feature::kDom0));
  EXPECT_FALSE(feature::kArmDomU & (1u << feature::kDirectMapped));
}

TEST(XenAbi, PerVcpuVirqs) {
  EXPECT_TRUE(virq::is_per_vcpu(virq::kTimer));
  EXPECT_TRUE(virq::is_per_vcpu(virq::kDebug));
  EXPECT_FALSE(virq::is_per_vcpu(virq::kConsole));
  EXPECT_LT(virq::kArch0 + 7, virq::kCount);
}

TEST(XenAbi, MemoryOpContinuation) {
  uint64_t cmd = xenmem::kDecreaseReservation | (uint64_t{5} << xenmem::kExtentShift);
  EXPECT_EQ(cmd & xenmem::kCmdMask, xenmem::kDecreaseReservation);
  EXPECT_EQ(cmd >> xenmem::kExtentShift, 5u);
}

}  // namespace
}  // namespace septum::xen
