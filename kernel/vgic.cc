#include "kernel/vgic.h"

#include "kernel/abi/gic_v3_registers.h"

namespace septum {

namespace {

using namespace gicv3;

constexpr uint64_t kGicdSgiPendingEnd = 0x0f30;  // after CPENDSGIR<n> and SPENDSGIR<n>
constexpr uint64_t kGicdIrouterEnd = 0x7fe0;     // after IROUTER1019
constexpr uint32_t kTyperIdBits = (10 - 1) << 19;
// ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER follow each other.
constexpr uint64_t kSetClearStride = 0x80;
constexpr uint64_t kInterruptRegistersEnd = kGicdSgir;

constexpr uint8_t kPriorityMask = 0xf8;
constexpr uint64_t kIrouterAny = 1ull << 31;
constexpr uint64_t kAffinityMask = 0xff00ffffffull;  // Aff3 [39:32], Aff2..Aff0 [23:0], as in MPIDR
constexpr uint32_t kNoVcpu = ~0u;

// ICH_LR<n>_EL2 (HW = 0: purely virtual, the guest's EOI deactivates).
constexpr unsigned kLrPriorityShift = 48;
constexpr unsigned kLrGroupShift = 60;
constexpr unsigned kLrStateShift = 62;
constexpr uint64_t kLrPending = 1;
constexpr uint64_t kLrActive = 2;

// Access widths a register takes, as a set of (1 << bytes).
constexpr unsigned kReg32 = 1u << 4;
constexpr unsigned kReg32Bytes = 1u << 1 | 1u << 4;
constexpr unsigned kReg64 = 1u << 4 | 1u << 8;
constexpr unsigned kReserved = kReg64;

uint32_t bit(uint32_t intid) { return 1u << (intid % 32); }
uint32_t lowest(uint32_t bits) { return static_cast<uint32_t>(__builtin_ctz(bits)); }

}  // namespace

struct VirtualGic::Access {
  const char* frame;
  uint64_t offset;  // from the frame's base
  unsigned width;
  bool write;
  uint64_t value;   // the value written, or the value read (0 unless set)

  Status check_placement(uint64_t frame_size) const {
    bool sized = width == 1 || width == 2 || width == 4 || width == 8;
    if (sized && offset % width == 0 && offset < frame_size) return Status::ok();
    return Status::error("vgic: {}-byte access at {}+{:#x}", width, frame, offset);
  }
  Status expect(unsigned widths) const {
    if (widths & (1u << width)) return Status::ok();
    return Status::error("vgic: {}-byte {} of the register at {}+{:#x}", width, write ? "write" : "read", frame,
                         offset);
  }
  void read_only(uint64_t register_value) {
    if (!write) value = register_value;
  }
  // 64-bit registers: the access covers all of it or the 32-bit half at `offset`.
  unsigned shift() const { return width == 8 ? 0 : (offset & 4) * 8; }
  uint64_t lanes() const { return width == 8 ? ~0ull : 0xffffffffull << shift(); }
  void read_only64(uint64_t register_value) { read_only((register_value & lanes()) >> shift()); }
  uint64_t merged64(uint64_t register_value) const {
    return (register_value & ~lanes()) | ((value << shift()) & lanes());
  }
};

void VirtualGic::init(uint32_t vcpu_count) {
  vcpu_count_ = vcpu_count < kMaxVcpus ? vcpu_count : kMaxVcpus;
  ctlr_ = 0;
  for (Bank& bank : private_) bank = Bank{};
  for (Bank& bank : shared_) bank = Bank{};
  for (uint64_t& route : irouter_) route = 0;
  for (uint8_t& owner : spi_owner_) owner = 0;
  for (bool& asleep : asleep_) asleep = true;
  for (uint8_t& count : written_count_) count = 0;
}

// ---------------------------------------------------------------- MMIO

Status VirtualGic::read_distributor(uint32_t, uint64_t offset, unsigned width, uint64_t& value) {
  Access a{"GICD", offset, width, false, 0};
  Status status = access_distributor(a);
  value = a.value;
  return status;
}

Status VirtualGic::write_distributor(uint32_t, uint64_t offset, unsigned width, uint64_t value, VcpuMask& kick) {
  VcpuMask before = waiting_mask();
  Access a{"GICD", offset, width, true, width < 8 ? value & ((1ull << 8 * width) - 1) : value};
  Status status = access_distributor(a);
  kick = waiting_mask() & ~before;
  return status;
}

Status VirtualGic::read_redistributor(uint32_t, uint64_t offset, unsigned width, uint64_t& value) {
  Access a{"GICR", offset, width, false, 0};
  Status status = access_redistributor(a);
  value = a.value;
  return status;
}

Status VirtualGic::write_redistributor(uint32_t, uint64_t offset, unsigned width, uint64_t value, VcpuMask& kick) {
  VcpuMask before = waiting_mask();
  Access a{"GICR", offset, width, true, width < 8 ? value & ((1ull << 8 * width) - 1) : value};
  Status status = access_redistributor(a);
  kick = waiting_mask() & ~before;
  return status;
}

Status VirtualGic::access_distributor(Access& a) {
  SEPTUM_TRY(a.check_placement(abi::kGuestGicdSize));
  uint64_t offset = a.offset;
  if (offset >= kIgroupr && offset < kInterruptRegistersEnd) {
    return access_interrupt_registers(a, offset, shared_, 1);  // bank 0 (INTIDs 0-31) is in the redistributors
  }
  if (offset >= kGicdSgir && offset < kGicdSgiPendingEnd) {  // GICv2 SGI registers: RAZ/WI with ARE
    return a.expect(offset == kGicdSgir ? kReg32 : kReg32Bytes);
  }
  if (offset >= kGicdIrouter && offset < kGicdIrouterEnd) {
    SEPTUM_TRY(a.expect(kReg64));
    uint32_t intid = static_cast<uint32_t>((offset - kGicdIrouter) / 8);
    if (intid < 32 || intid >= kIntidCount) return Status::ok();
    uint64_t& route = irouter_[intid - 32];
    if (a.write) {
      route = a.merged64(route) & (kAffinityMask | kIrouterAny);
    } else {
      a.read_only64(route);
    }
    return Status::ok();
  }
  switch (offset) {
    case kGicdCtlr:
      SEPTUM_TRY(a.expect(kReg32));
      if (a.write) {
        ctlr_ = static_cast<uint32_t>(a.value) & (kGicdCtlrEnableGrp0 | kGicdCtlrEnableGrp1);
      } else {
        a.value = ctlr_ | kGicdCtlrAre | kGicdCtlrDs;
      }
      return Status::ok();
    case kGicdTyper:  // no LPIs, MBIs, security extension, extended SPIs, Aff3 or RSS; CPUNumber 0 as ARE is fixed
      SEPTUM_TRY(a.expect(kReg32));
      a.read_only((kIntidCount / 32 - 1) | kTyperIdBits);
      return Status::ok();
    case kGicdIidr:  // 0: no implementer identification, so no guest erratum workaround matches
    case kGicdTyper2:
    case kGicdStatusr:
      return a.expect(kReg32);
    case kPidr2:
      SEPTUM_TRY(a.expect(kReg32));
      a.read_only(kPidr2ArchRevGicV3);
      return Status::ok();
    default:
      return a.expect(kReserved);
  }
}

Status VirtualGic::access_redistributor(Access& a) {
  SEPTUM_TRY(a.check_placement(abi::kGuestGicrSize));
  uint32_t vcpu = static_cast<uint32_t>(a.offset / abi::kGuestGicrStride);
  uint64_t offset = a.offset % abi::kGuestGicrStride;
  if (vcpu >= vcpu_count_) return a.expect(kReserved);
  if (offset >= kGicrSgiBase) {
    offset -= kGicrSgiBase;
    if (offset >= kIgroupr && offset < kInterruptRegistersEnd) {
      return access_interrupt_registers(a, offset, {&private_[vcpu], 1}, 0);
    }
    return a.expect(kReserved);
  }
  if (offset / 8 == kGicrTyper / 8) {
    SEPTUM_TRY(a.expect(kReg64));
    uint64_t mpidr = abi::guest_mpidr(vcpu);
    uint64_t affinity = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
    a.read_only64(affinity << 32 | uint64_t{vcpu} << 8 | (vcpu + 1 == vcpu_count_ ? kGicrTyperLast : 0));
    return Status::ok();
  }
  switch (offset) {
    case kGicrCtlr:  // no LPIs: nothing to enable, never busy
    case kGicrIidr:
    case kGicrStatusr:
      return a.expect(kReg32);
    case kGicrWaker:
      SEPTUM_TRY(a.expect(kReg32));
      if (a.write) {
        asleep_[vcpu] = (a.value & kGicrWakerProcessorSleep) != 0;
      } else if (asleep_[vcpu]) {
        a.value = kGicrWakerProcessorSleep | kGicrWakerChildrenAsleep;
      }
      return Status::ok();
    case kPidr2:
      SEPTUM_TRY(a.expect(kReg32));
      a.read_only(kPidr2ArchRevGicV3);
      return Status::ok();
    default:  // also GICR_PROPBASER/PENDBASER: RAZ/WI without LPIs
      return a.expect(kReserved);
  }
}

// `offset` is within [kIgroupr, kInterruptRegistersEnd); `banks` hold INTIDs
// from 32 * first_bank on. Registers of other INTIDs are RAZ/WI.
Status VirtualGic::access_interrupt_registers(Access& a, uint64_t offset, std::span<Bank> banks,
                                              uint32_t first_bank) {
  auto bank_for = [&](uint32_t intid) -> Bank* {
    uint32_t index = intid / 32;
    return index >= first_bank && index - first_bank < banks.size() ? &banks[index - first_bank] : nullptr;
  };
  if (offset < kIsenabler) {  // IGROUPR
    SEPTUM_TRY(a.expect(kReg32));
    if (Bank* bank = bank_for(static_cast<uint32_t>(offset - kIgroupr) * 8)) {
      if (a.write) {
        bank->group = static_cast<uint32_t>(a.value);
      } else {
        a.value = bank->group;
      }
    }
    return Status::ok();
  }
  if (offset < kIpriorityr) {  // ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER
    SEPTUM_TRY(a.expect(kReg32));
    uint32_t kind = static_cast<uint32_t>((offset - kIsenabler) / kSetClearStride);
    uint32_t first = static_cast<uint32_t>((offset - kIsenabler) % kSetClearStride) * 8;
    Bank* bank = bank_for(first);
    if (!bank) return Status::ok();
    uint32_t& state = kind < 2 ? bank->enabled : kind < 4 ? bank->pending : bank->active;
    uint32_t bits = static_cast<uint32_t>(a.value);
    if (!a.write) {
      a.value = state;
    } else if (kind % 2) {
      state &= ~bits;
    } else {
      if (kind == 4 && first >= 32) {  // an SPI activated by software belongs to its current target
        for (uint32_t fresh = bits & ~state; fresh; fresh &= fresh - 1) {
          uint32_t spi = first - 32 + lowest(fresh);
          spi_owner_[spi] = static_cast<uint8_t>(routed_vcpu(irouter_[spi]));
        }
      }
      state |= bits;
    }
    return Status::ok();
  }
  if (offset < kItargetsr) {  // IPRIORITYR: one byte per interrupt
    SEPTUM_TRY(a.expect(kReg32Bytes));
    uint32_t first = static_cast<uint32_t>(offset - kIpriorityr);
    for (unsigned i = 0; i < a.width; ++i) {
      Bank* bank = bank_for(first + i);
      if (!bank) continue;
      uint8_t& priority = bank->priority[(first + i) % 32];
      if (a.write) {
        priority = static_cast<uint8_t>(a.value >> (8 * i)) & kPriorityMask;
      } else {
        a.value |= uint64_t{priority} << (8 * i);
      }
    }
    return Status::ok();
  }
  if (offset < kIcfgr) return a.expect(kReg32Bytes);  // ITARGETSR: RAZ/WI with ARE
  if (offset < kIgrpmodr) {  // ICFGR: Int_config is the upper bit of each interrupt's two
    SEPTUM_TRY(a.expect(kReg32));
    uint32_t first = static_cast<uint32_t>(offset - kIcfgr) * 4;
    Bank* bank = bank_for(first);
    if (!bank) return Status::ok();
    for (uint32_t i = 0; i < 16; ++i) {
      uint32_t intid = first + i;
      if (!a.write) {
        if (intid < 16 || (bank->edge & bit(intid))) a.value |= 2ull << (2 * i);
      } else if (intid >= 16) {  // SGIs are edge-triggered, read-only
        bool edge = (a.value >> (2 * i + 1)) & 1;
        bank->edge = edge ? bank->edge | bit(intid) : bank->edge & ~bit(intid);
      }
    }
    return Status::ok();
  }
  return a.expect(kReg32);  // IGRPMODR, NSACR: RAZ/WI with DS = 1
}

// ---------------------------------------------------------------- interrupt state

VirtualGic::Bank& VirtualGic::bank_of(uint32_t vcpu, uint32_t intid) {
  return intid < 32 ? private_[vcpu] : shared_[(intid - 32) / 32];
}

uint32_t VirtualGic::group_enabled(const Bank& bank) const {
  return ((ctlr_ & kGicdCtlrEnableGrp1) ? bank.group : 0) | ((ctlr_ & kGicdCtlrEnableGrp0) ? ~bank.group : 0);
}

// Pending state not yet handed to an LR, of interrupts that may be delivered.
uint32_t VirtualGic::waiting(const Bank& bank) const { return bank.pending & bank.enabled & group_enabled(bank); }

uint32_t VirtualGic::routed_vcpu(uint64_t irouter) const {
  if (irouter & kIrouterAny) return vcpu_count_ ? 0 : kNoVcpu;
  for (uint32_t vcpu = 0; vcpu < vcpu_count_; ++vcpu) {
    if ((abi::guest_mpidr(vcpu) & kAffinityMask) == (irouter & kAffinityMask)) return vcpu;
  }
  return kNoVcpu;
}

// The vCPU an SPI is delivered to: the one holding it while listed or
// active, else the one IROUTER names.
uint32_t VirtualGic::spi_vcpu(uint32_t spi) const {
  const Bank& bank = shared_[spi / 32];
  if ((bank.listed | bank.active) & bit(spi)) return spi_owner_[spi] < vcpu_count_ ? spi_owner_[spi] : kNoVcpu;
  return routed_vcpu(irouter_[spi]);
}

VcpuMask VirtualGic::waiting_mask() const {
  VcpuMask mask = 0;
  for (uint32_t vcpu = 0; vcpu < vcpu_count_; ++vcpu) {
    if (waiting(private_[vcpu])) mask |= 1u << vcpu;
  }
  for (uint32_t word = 0; word < kSpiCount / 32; ++word) {
    for (uint32_t bits = waiting(shared_[word]); bits; bits &= bits - 1) {
      uint32_t vcpu = spi_vcpu(word * 32 + lowest(bits));
      if (vcpu != kNoVcpu) mask |= 1u << vcpu;
    }
  }
  return mask;
}

bool VirtualGic::has_deliverable(uint32_t vcpu) const { return vcpu < vcpu_count_ && (waiting_mask() >> vcpu) & 1; }

VcpuMask VirtualGic::send_sgi(uint32_t vcpu, uint64_t sgi1r) {
  if (vcpu >= vcpu_count_) return 0;
  uint32_t intid = (sgi1r >> 24) & 0xf;
  bool all_but_self = (sgi1r >> 40) & 1;
  // Aff3.Aff2.Aff1 in MPIDR positions; Aff0 = 16 * RS + the TargetList bit.
  uint64_t cluster = ((sgi1r >> 48) & 0xff) << 32 | ((sgi1r >> 32) & 0xff) << 16 | ((sgi1r >> 16) & 0xff) << 8;
  uint64_t range = (sgi1r >> 44) & 0xf;
  VcpuMask before = waiting_mask();
  for (uint32_t target = 0; target < vcpu_count_; ++target) {
    uint64_t mpidr = abi::guest_mpidr(target) & kAffinityMask;
    uint64_t aff0 = mpidr & 0xff;
    bool named = (mpidr & ~0xffull) == cluster && aff0 / 16 == range && (sgi1r >> (aff0 % 16)) & 1;
    if (all_but_self ? target != vcpu : named) private_[target].pending |= bit(intid);
  }
  return waiting_mask() & ~before;
}

std::optional<uint32_t> VirtualGic::raise(uint32_t vcpu, uint32_t intid) {
  if (intid >= kIntidCount || (intid < 32 && vcpu >= vcpu_count_)) return std::nullopt;
  VcpuMask before = waiting_mask();
  bank_of(vcpu, intid).pending |= bit(intid);
  VcpuMask kick = waiting_mask() & ~before;
  if (!kick) return std::nullopt;
  return lowest(kick);
}

// ---------------------------------------------------------------- list registers

VcpuMask VirtualGic::sync(uint32_t vcpu, std::span<const uint64_t> lrs) {
  if (vcpu >= vcpu_count_) return 0;
  VcpuMask before = waiting_mask();
  for (uint32_t i = 0; i < written_count_[vcpu]; ++i) {
    uint32_t intid = static_cast<uint32_t>(written_lrs_[vcpu][i]);  // the guest cannot change vINTID
    uint64_t state = (i < lrs.size() ? lrs[i] : written_lrs_[vcpu][i]) >> kLrStateShift;
    Bank& bank = bank_of(vcpu, intid);
    bank.listed &= ~bit(intid);
    if (state & kLrPending) bank.pending |= bit(intid);
    bank.active = (state & kLrActive) ? bank.active | bit(intid) : bank.active & ~bit(intid);
  }
  written_count_[vcpu] = 0;
  return waiting_mask() & ~before & ~(1u << vcpu);
}

void VirtualGic::flush(uint32_t vcpu, std::span<uint64_t> lrs, bool& underflow) {
  underflow = false;
  for (uint64_t& lr : lrs) lr = 0;
  if (vcpu >= vcpu_count_) return;
  if (written_count_[vcpu]) sync(vcpu, {written_lrs_[vcpu], written_count_[vcpu]});

  // The best `capacity` candidates, kept sorted: active before pending (an
  // active interrupt must be in an LR for the guest's EOI to reach it), then
  // by priority, then by INTID (candidates come in INTID order).
  struct Candidate {
    uint32_t intid;
    uint8_t priority;
    bool active;
    bool pending;
  };
  size_t capacity = lrs.size() < kMaxListRegisters ? lrs.size() : kMaxListRegisters;
  Candidate chosen[kMaxListRegisters];
  size_t count = 0;
  auto consider = [&](uint32_t intid, const Bank& bank) {
    Candidate candidate{intid, bank.priority[intid % 32], (bank.active & bit(intid)) != 0,
                        (waiting(bank) & bit(intid)) != 0};
    auto ranks_before = [&](const Candidate& other) {
      if (candidate.active != other.active) return candidate.active;
      return candidate.priority < other.priority;
    };
    size_t at = count;
    while (at > 0 && ranks_before(chosen[at - 1])) --at;
    if (at == capacity) {
      underflow |= candidate.pending;
      return;
    }
    if (count == capacity) underflow |= chosen[--count].pending;
    for (size_t i = count; i > at; --i) chosen[i] = chosen[i - 1];
    chosen[at] = candidate;
    ++count;
  };
  auto candidates = [&](const Bank& bank) { return (waiting(bank) | bank.active) & ~bank.listed; };
  for (uint32_t bits = candidates(private_[vcpu]); bits; bits &= bits - 1) consider(lowest(bits), private_[vcpu]);
  for (uint32_t word = 0; word < kSpiCount / 32; ++word) {
    for (uint32_t bits = candidates(shared_[word]); bits; bits &= bits - 1) {
      uint32_t spi = word * 32 + lowest(bits);
      if (spi_vcpu(spi) == vcpu) consider(32 + spi, shared_[word]);
    }
  }

  for (size_t i = 0; i < count; ++i) {
    const Candidate& c = chosen[i];
    Bank& bank = bank_of(vcpu, c.intid);
    uint64_t group = (bank.group & bit(c.intid)) != 0;
    uint64_t state = (c.active ? kLrActive : 0) | (c.pending ? kLrPending : 0);
    lrs[i] = c.intid | uint64_t{c.priority} << kLrPriorityShift | group << kLrGroupShift | state << kLrStateShift;
    written_lrs_[vcpu][i] = lrs[i];
    bank.listed |= bit(c.intid);
    if (c.pending) bank.pending &= ~bit(c.intid);  // the LR holds the pending state now
    if (c.intid >= 32) spi_owner_[c.intid - 32] = static_cast<uint8_t>(vcpu);
  }
  written_count_[vcpu] = static_cast<uint8_t>(count);
}

}  // namespace septum
