#include "sdk/runtime/gic.h"

#include <array>

#include "kernel/abi/gic_v3_registers.h"
#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/sysreg.h"

namespace septum::sdk::gic {

namespace {

using namespace gicv3;

constexpr uint32_t kPriority = 0xa0;  // any value below the PMR of 0xff
constexpr uint64_t kPollLimit = 1'000'000;

constexpr uint64_t kSreEnable = 1u << 0;  // ICC_SRE_EL1.SRE

constinit std::array<Handler, kLocalInterrupts> handlers{};
constinit std::array<uint64_t, kMaxVcpus> redistributors{};

bool poll_clear(uint64_t address, uint32_t bits) {
  for (uint64_t i = 0; i < kPollLimit; ++i) {
    if ((mmio_read<uint32_t>(address) & bits) == 0) return true;
  }
  return false;
}

// MPIDR affinity in GICR_TYPER[63:32] order: Aff3.Aff2.Aff1.Aff0.
uint64_t typer_affinity(uint64_t mpidr) { return ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff); }

uint64_t find_redistributor(uint64_t mpidr) {
  const Platform& p = platform();
  for (size_t r = 0; r < p.gic_redistributor_count; ++r) {
    const Range& region = p.gic_redistributors[r];
    for (uint64_t frame = region.base; frame + kGicrFrameStride <= region.end();) {
      uint64_t typer = mmio_read<uint64_t>(frame + kGicrTyper);
      if ((typer >> 32) == typer_affinity(mpidr)) return frame;
      if (typer & kGicrTyperLast) break;
      frame += (typer & kGicrTyperVlpis) ? kGicrFrameStrideVlpi : kGicrFrameStride;
    }
  }
  return 0;
}

}  // namespace

Status init_distributor() {
  uint64_t gicd = platform().gic_distributor.base;
  mmio_write<uint32_t>(gicd + kGicdCtlr, kGicdCtlrAre | kGicdCtlrEnableGrp1 | kGicdCtlrEnableGrp0);
  if (!poll_clear(gicd + kGicdCtlr, kGicdCtlrRwp)) return Status::error("gic: distributor stuck in RWP");
  return Status::ok();
}

Status init_this_vcpu() {
  uint64_t mpidr = read_mpidr();
  uint64_t rd = find_redistributor(mpidr);
  if (!rd) return Status::error("gic: no redistributor with the affinity of MPIDR {:#x}", mpidr);
  mmio_write<uint32_t>(rd + kGicrWaker, mmio_read<uint32_t>(rd + kGicrWaker) & ~kGicrWakerProcessorSleep);
  if (!poll_clear(rd + kGicrWaker, kGicrWakerChildrenAsleep)) {
    return Status::error("gic: redistributor of MPIDR {:#x} does not wake up", mpidr);
  }
  mmio_write<uint32_t>(rd + (kGicrSgiBase + kIcenabler), ~0u);
  mmio_write<uint32_t>(rd + (kGicrSgiBase + kIcpendr), ~0u);
  mmio_write<uint32_t>(rd + (kGicrSgiBase + kIgroupr), ~0u);
  for (uint32_t intid = 0; intid < kLocalInterrupts; intid += 4) {
    mmio_write<uint32_t>(rd + (kGicrSgiBase + kIpriorityr) + intid, 0x01010101u * kPriority);
  }
  if (!poll_clear(rd + kGicrCtlr, kGicrCtlrRwp)) return Status::error("gic: redistributor stuck in RWP");

  SEPTUM_WRITE_SYSREG(icc_sre_el1, SEPTUM_READ_SYSREG(icc_sre_el1) | kSreEnable);
  isb();
  if (!(SEPTUM_READ_SYSREG(icc_sre_el1) & kSreEnable)) {
    return Status::error("gic: no system-register CPU interface (ICC_SRE_EL1.SRE stays 0)");
  }
  SEPTUM_WRITE_SYSREG(icc_pmr_el1, 0xff);
  SEPTUM_WRITE_SYSREG(icc_bpr1_el1, 0);
  SEPTUM_WRITE_SYSREG(icc_igrpen1_el1, 1);
  isb();
  redistributors[this_vcpu()] = rd;
  return Status::ok();
}

void set_handler(uint32_t intid, Handler handler) {
  if (intid < kLocalInterrupts) handlers[intid] = handler;
}

void enable(uint32_t intid) {
  if (intid < kLocalInterrupts) mmio_write<uint32_t>(this_redistributor() + (kGicrSgiBase + kIsenabler), 1u << intid);
}

void disable(uint32_t intid) {
  if (intid < kLocalInterrupts) {
    uint64_t rd = this_redistributor();
    mmio_write<uint32_t>(rd + (kGicrSgiBase + kIcenabler), 1u << intid);
    poll_clear(rd + kGicrCtlr, kGicrCtlrRwp);
  } else {
    uint64_t gicd = platform().gic_distributor.base;
    mmio_write<uint32_t>(gicd + kIcenabler + intid / 32 * 4, 1u << (intid % 32));
    poll_clear(gicd + kGicdCtlr, kGicdCtlrRwp);
  }
}

void send_sgi(uint32_t intid, uint64_t mpidr) {
  uint64_t aff0 = mpidr & 0xff;
  uint64_t value = ((mpidr >> 32) & 0xff) << 48 |  // Aff3
                   ((mpidr >> 16) & 0xff) << 32 |  // Aff2
                   uint64_t{intid & 0xf} << 24 |   // INTID
                   ((mpidr >> 8) & 0xff) << 16 |   // Aff1
                   (aff0 >> 4) << 44 |             // RS: which 16 Aff0 values the target list covers
                   1u << (aff0 & 0xf);             // target list

  dsb_sy();  // make the sender's memory writes visible before the interrupt
  SEPTUM_WRITE_SYSREG(icc_sgi1r_el1, value);
  isb();
}

uint32_t acknowledge() {
  uint64_t intid = SEPTUM_READ_SYSREG(icc_iar1_el1);
  dsb_sy();
  return static_cast<uint32_t>(intid & 0xffffff);
}

void end_of_interrupt(uint32_t intid) {
  SEPTUM_WRITE_SYSREG(icc_eoir1_el1, intid);
  isb();
}

void dispatch() {
  for (;;) {
    uint32_t intid = acknowledge();
    if (intid >= 1020 && intid <= kSpurious) return;
    Handler handler = intid < kLocalInterrupts ? handlers[intid] : nullptr;
    if (handler) {
      handler(intid);
    } else {
      print("sdk: vCPU {}: interrupt {} has no handler; disabled\n", this_vcpu(), intid);
      disable(intid);
    }
    end_of_interrupt(intid);
  }
}

uint64_t this_redistributor() { return redistributors[this_vcpu()]; }

}  // namespace septum::sdk::gic
