// The virtual GICv3 every domain sees: distributor and redistributor
// emulation for trapped MMIO, SGIs from trapped ICC_SGI1R_EL1 writes, and the
// list-register bookkeeping around guest entry. The CPU interface itself is
// the hardware's (ICH_*_EL2): the arch code moves ICH_LR<n>_EL2 values in and
// out and calls sync()/flush(); nothing here touches a system register.
//
// What the guest sees (GICv3 architecture, IHI 0069):
// - One security state (GICD_CTLR.DS = 1), affinity routing always on
//   (GICD_CTLR.ARE RAO/WI), so the distributor's registers for INTIDs 0-31
//   (and ITARGETSR, SGIR, CPENDSGIR/SPENDSGIR) are RAZ/WI: SGIs and PPIs are
//   configured in each vCPU's redistributor. No LPIs, ITS, MBIs, extended
//   ranges or GICv4. IGRPMODR and NSACR are RAZ/WI, as DS = 1 makes them.
// - INTIDs 0-15 SGIs (always edge), 16-31 PPIs, 32..32+kSpiCount-1 SPIs.
// - Priorities keep their top 5 bits (0xf8), as many as the virtual CPU
//   interface implements, so the order flush() chooses is the order the
//   hardware applies. Reset state: group 0, disabled, inactive, not pending,
//   priority 0, level (SGIs edge), IROUTER 0 (vCPU 0), redistributors asleep.
// - Redistributor frame n (offset / kGuestGicrStride) belongs to vCPU n;
//   GICR_TYPER.Last marks the last vCPU's frame. Frames past the domain's
//   vCPUs lie inside the region the guest is given, so they are not errors:
//   they behave as reserved space, RAZ/WI (GICR_PIDR2 reads 0 there).
// - GICR_WAKER: ChildrenAsleep follows ProcessorSleep at once. Nothing models
//   power-down, so ProcessorSleep does not gate delivery.
// - GICD_IROUTER.Interrupt_Routing_Mode = 1 ("any PE") delivers to vCPU 0,
//   always present; an affinity naming no vCPU delivers nowhere until
//   re-routed.
//
// Access rules (the caller turns an error into a domain fault): naturally
// aligned 1/2/4/8-byte accesses only; 32-bit registers take 32-bit accesses,
// IPRIORITYR (and the RAZ/WI ITARGETSR, C/SPENDSGIR) also bytes; 64-bit
// registers (IROUTER, GICR_TYPER, PROPBASER, PENDBASER) 64-bit or 32-bit
// halves. Offsets inside a frame that hold no register are RAZ/WI for 32- and
// 64-bit accesses. Anything else (halfwords, bytes to a 32-bit register, 64
// bits to a 32-bit one, misaligned, outside the frame) is an error.
//
// Level-sensitive interrupts: GICD_ICFGR/GICR_ICFGR1 store and read back the
// configuration, but every interrupt behaves as edge-triggered: raise()
// latches pending, the guest's acknowledge consumes it. A device that keeps
// its line asserted raises again when it wants another interrupt (the
// virtual timer is raised each time it fires; the guest masks or rearms it).
//
// State ownership and the list registers (no HW bit, no maintenance
// interrupt requested except on underflow):
// - flush() hands the highest-priority deliverable interrupts to the LRs.
//   The pending state of a handed-over interrupt now lives in its LR (the
//   software pending bit is cleared, so a raise() meanwhile records a new
//   edge); its active state is mirrored. sync() folds the LR states back:
//   LR pending is ORed in, LR active replaces the active bit.
// - Active interrupts always get an LR first (the guest's EOI/DIR must find
//   them), then pending ones by priority, then INTID. `underflow` is set only
//   when a deliverable pending interrupt did not fit: the arch code then asks
//   for the underflow (ICH_HCR_EL2.UIE) or no-pending (NPIE) maintenance
//   interrupt to come back and refill; otherwise none is requested.
// - An SPI that is in a vCPU's LRs or active stays with that vCPU until
//   deactivated and synced, even if IROUTER changes; only then does it follow
//   IROUTER (sync() returns who must be kicked for it).
// - While an interrupt sits in a running vCPU's LRs, other vCPUs' ICPENDR and
//   I[SC]ACTIVER writes to it are overridden by the LR state at that vCPU's
//   next sync(), ISPENDR does not show the pending state handed to the LR and
//   ISACTIVER shows the active state as of the last flush(). Linux only polls
//   ISACTIVER (synchronize_irq), which settles at the holder's next exit.
//
// Contract with the arch code: one lock around every call for a domain;
// sync() right after each guest exit, before emulating anything for that
// vCPU; flush() right before entry. `kick` masks name vCPUs that have a
// deliverable interrupt they did not have before the call (wake them from
// WFI, or interrupt their physical CPU so they exit and re-flush); they may
// include the caller's own vCPU.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/abi/guest_platform.h"
#include "kernel/status.h"

namespace septum {

// Bit i = vCPU i.
using VcpuMask = uint32_t;

class VirtualGic final {
 public:
  static constexpr uint32_t kMaxVcpus = abi::kMaxVcpusPerDomain;
  static constexpr uint32_t kSpiCount = abi::kGuestSpiCount;
  static constexpr uint32_t kIntidCount = 32 + kSpiCount;
  static constexpr uint32_t kMaxListRegisters = 16;

  // Back to the reset state for `vcpu_count` vCPUs (at most kMaxVcpus; more
  // are clamped).
  void init(uint32_t vcpu_count);

  // Trapped accesses: `offset` from abi::kGuestGicdBase / kGuestGicrBase,
  // `width` in bytes, written values already truncated to it. `vcpu` is the
  // accessing vCPU; with affinity routing no register depends on it.
  Status read_distributor(uint32_t vcpu, uint64_t offset, unsigned width, uint64_t& value);
  Status write_distributor(uint32_t vcpu, uint64_t offset, unsigned width, uint64_t value, VcpuMask& kick);
  Status read_redistributor(uint32_t vcpu, uint64_t offset, unsigned width, uint64_t& value);
  Status write_redistributor(uint32_t vcpu, uint64_t offset, unsigned width, uint64_t value, VcpuMask& kick);

  // A trapped ICC_SGI1R_EL1 write by `vcpu`: TargetList [15:0], Aff1 [23:16],
  // INTID [27:24], Aff2 [39:32], IRM [40] (all but self), RS [47:44], Aff3
  // [55:48]. Returns the vCPUs to kick.
  VcpuMask send_sgi(uint32_t vcpu, uint64_t sgi1r);

  // Makes `intid` pending: an SGI/PPI of `vcpu`, or an SPI (`vcpu` ignored).
  // Returns the vCPU to kick, if any.
  std::optional<uint32_t> raise(uint32_t vcpu, uint32_t intid);

  // ICH_LR<n>_EL2 values read back after `vcpu` exited; folds what the guest
  // did (acknowledge, EOI, deactivate) into the state. Entries missing from
  // `lrs` count as unchanged. Returns other vCPUs to kick: an SPI re-routed
  // while this vCPU held it may now be deliverable elsewhere.
  VcpuMask sync(uint32_t vcpu, std::span<const uint64_t> lrs);

  // Fills all of `lrs` (up to kMaxListRegisters used, the rest invalid) for
  // entering `vcpu`. Calling it again without sync() first takes the
  // previous contents back as written.
  void flush(uint32_t vcpu, std::span<uint64_t> lrs, bool& underflow);

  // Whether `vcpu` has a pending, enabled interrupt of an enabled group not
  // yet in its LRs (after sync(): whether a WFI should return).
  bool has_deliverable(uint32_t vcpu) const;

 private:
  // 32 interrupts: INTIDs 0-31 of one vCPU, or 32 SPIs.
  struct Bank {
    uint32_t group = 0;    // 1 = group 1
    uint32_t enabled = 0;
    uint32_t pending = 0;  // not counting pending state handed to an LR
    uint32_t active = 0;
    uint32_t edge = 0;     // ICFGR Int_config (SGIs read as edge regardless)
    uint32_t listed = 0;   // in an LR flush() wrote and sync() has not folded
    uint8_t priority[32] = {};
  };

  struct Access;  // one decoded MMIO access, see vgic.cc

  Bank& bank_of(uint32_t vcpu, uint32_t intid);
  uint32_t group_enabled(const Bank& bank) const;
  uint32_t waiting(const Bank& bank) const;
  uint32_t routed_vcpu(uint64_t irouter) const;
  uint32_t spi_vcpu(uint32_t spi) const;
  VcpuMask waiting_mask() const;

  Status access_distributor(Access& a);
  Status access_redistributor(Access& a);
  Status access_interrupt_registers(Access& a, uint64_t offset, std::span<Bank> banks, uint32_t first_bank);

  uint32_t vcpu_count_ = 0;
  uint32_t ctlr_ = 0;  // GICD_CTLR.EnableGrp0/EnableGrp1
  Bank private_[kMaxVcpus]{};
  Bank shared_[kSpiCount / 32]{};
  uint64_t irouter_[kSpiCount] = {};
  // The vCPU holding each SPI while it is listed or active (0xff: none).
  uint8_t spi_owner_[kSpiCount] = {};
  bool asleep_[kMaxVcpus] = {};  // GICR_WAKER.ProcessorSleep
  // What flush() last wrote, until sync() folds it back.
  uint64_t written_lrs_[kMaxVcpus][kMaxListRegisters] = {};
  uint8_t written_count_[kMaxVcpus] = {};
};

static_assert(VirtualGic::kSpiCount % 32 == 0 && VirtualGic::kIntidCount <= 1020);
static_assert(VirtualGic::kMaxVcpus <= 16, "GICD_TYPER.RSS = 0: SGIs reach Aff0 0-15 only");

}  // namespace septum
