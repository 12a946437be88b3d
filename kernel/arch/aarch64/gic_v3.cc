#include "kernel/arch/aarch64/gic_v3.h"

#include "kernel/abi/gic_v3_registers.h"
#include "kernel/arch/aarch64/sysreg.h"

namespace septum::aarch64 {

namespace {

using namespace gicv3;

constexpr uint8_t kDefaultPriority = 0xa0;
constexpr uint64_t kPollLimit = 10'000'000;

// ICC_SRE_EL2 bits.
constexpr uint64_t kSreSre = 1u << 0;
constexpr uint64_t kSreDfb = 1u << 1;
constexpr uint64_t kSreDib = 1u << 2;
constexpr uint64_t kSreEnable = 1u << 3;

bool poll_clear(uint64_t address, uint32_t bits) {
  for (uint64_t i = 0; i < kPollLimit; ++i) {
    if ((mmio_read<uint32_t>(address) & bits) == 0) return true;
  }
  return false;
}

uint64_t affinity_of(uint64_t mpidr) {
  return ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
}

}  // namespace

Status GicV3::init_distributor(const Platform& platform, uint64_t boot_mpidr) {
  distributor_ = platform.gic_distributor.base;
  mmio_write<uint32_t>(distributor_ + kGicdCtlr, 0);
  if (!poll_clear(distributor_ + kGicdCtlr, kGicdCtlrRwp)) return Status::error("gic: distributor stuck in RWP");
  uint32_t lines = info().spi_count + 32;
  for (uint32_t intid = 32; intid < lines; intid += 32) {
    mmio_write<uint32_t>(distributor_ + kIgroupr + intid / 8, ~0u);
    mmio_write<uint32_t>(distributor_ + kIcenabler + intid / 8, ~0u);
    mmio_write<uint32_t>(distributor_ + kIcpendr + intid / 8, ~0u);
  }
  for (uint32_t intid = 32; intid < lines; intid += 4) {
    mmio_write<uint32_t>(distributor_ + kIpriorityr + intid, 0x01010101u * kDefaultPriority);
  }
  mmio_write<uint32_t>(distributor_ + kGicdCtlr, kGicdCtlrAre);
  if (!poll_clear(distributor_ + kGicdCtlr, kGicdCtlrRwp)) return Status::error("gic: distributor stuck in RWP");
  for (uint32_t intid = 32; intid < lines; ++intid) {
    mmio_write<uint64_t>(distributor_ + kGicdIrouter + 8 * intid, affinity_of(boot_mpidr) & 0xff00ffffffull);
  }
  mmio_write<uint32_t>(distributor_ + kGicdCtlr, kGicdCtlrAre | kGicdCtlrEnableGrp1);
  if (!poll_clear(distributor_ + kGicdCtlr, kGicdCtlrRwp)) return Status::error("gic: distributor stuck in RWP");
  return Status::ok();
}

Status GicV3::init_cpu(const Platform& platform, uint64_t mpidr, uint64_t& redistributor) {
  redistributor = 0;
  for (size_t r = 0; r < platform.gic_redistributor_count && !redistributor; ++r) {
    const Range& region = platform.gic_redistributors[r];
    for (uint64_t frame = region.base; frame + kGicrFrameStride <= region.end();) {
      uint64_t typer = mmio_read<uint64_t>(frame + kGicrTyper);
      if ((typer >> 32) == affinity_of(mpidr)) {
        redistributor = frame;
        break;
      }
      if (typer & kGicrTyperLast) break;
      frame += (typer & kGicrTyperVlpis) ? kGicrFrameStrideVlpi : kGicrFrameStride;
    }
  }
  if (!redistributor) return Status::error("gic: no redistributor for MPIDR {:#x}", mpidr);

  uint32_t waker = mmio_read<uint32_t>(redistributor + kGicrWaker);
  mmio_write<uint32_t>(redistributor + kGicrWaker, waker & ~kGicrWakerProcessorSleep);
  if (!poll_clear(redistributor + kGicrWaker, kGicrWakerChildrenAsleep)) {
    return Status::error("gic: redistributor of MPIDR {:#x} does not wake up", mpidr);
  }
  mmio_write<uint32_t>(redistributor + (kGicrSgiBase + kIgroupr), ~0u);
  mmio_write<uint32_t>(redistributor + (kGicrSgiBase + kIcenabler), ~0u);
  mmio_write<uint32_t>(redistributor + (kGicrSgiBase + kIcpendr), ~0u);
  for (uint32_t intid = 0; intid < 32; intid += 4) {
    mmio_write<uint32_t>(redistributor + (kGicrSgiBase + kIpriorityr) + intid, 0x01010101u * kDefaultPriority);
  }
  if (!poll_clear(redistributor + kGicrCtlr, kGicrCtlrRwp)) return Status::error("gic: redistributor stuck in RWP");

  SEPTUM_WRITE_SYSREG(S3_4_C12_C9_5 /* ICC_SRE_EL2 */, kSreSre | kSreDfb | kSreDib | kSreEnable);
  isb();
  if (!(SEPTUM_READ_SYSREG(S3_4_C12_C9_5) & kSreSre)) {
    return Status::error("gic: the CPU interface has no system register access (ICC_SRE_EL2.SRE)");
  }
  SEPTUM_WRITE_SYSREG(S3_0_C4_C6_0 /* ICC_PMR_EL1 */, 0xff);
  SEPTUM_WRITE_SYSREG(S3_0_C12_C12_3 /* ICC_BPR1_EL1 */, 0);
  SEPTUM_WRITE_SYSREG(S3_0_C12_C12_4 /* ICC_CTLR_EL1 */, 0);
  SEPTUM_WRITE_SYSREG(S3_0_C12_C12_7 /* ICC_IGRPEN1_EL1 */, 1);
  isb();
  return Status::ok();
}

void GicV3::enable_ppi(uint64_t redistributor, uint32_t intid) {
  mmio_write<uint32_t>(redistributor + (kGicrSgiBase + kIsenabler), 1u << intid);
}

uint32_t GicV3::acknowledge() {
  uint64_t intid = SEPTUM_READ_SYSREG(S3_0_C12_C12_0 /* ICC_IAR1_EL1 */);
  asm volatile("dsb sy" ::: "memory");
  return static_cast<uint32_t>(intid & 0xffffff);
}

void GicV3::end_of_interrupt(uint32_t intid) {
  SEPTUM_WRITE_SYSREG(S3_0_C12_C12_1 /* ICC_EOIR1_EL1 */, intid);
  isb();
}

GicV3::Info GicV3::info() const {
  uint32_t typer = mmio_read<uint32_t>(distributor_ + kGicdTyper);
  uint32_t lines = 32 * ((typer & 0x1f) + 1);
  if (lines > 1020) lines = 1020;
  uint64_t vtr = SEPTUM_READ_SYSREG(S3_4_C12_C11_1 /* ICH_VTR_EL2 */);
  return {lines - 32, static_cast<uint32_t>(vtr & 0x1f) + 1, static_cast<uint32_t>((vtr >> 29) & 7) + 1};
}

}  // namespace septum::aarch64
