#include "kernel/arch/aarch64/guest.h"

#include <atomic>

#include "kernel/abi/psci.h"
#include "kernel/arch/aarch64/esr.h"
#include "kernel/arch/aarch64/psci.h"
#include "kernel/arch/aarch64/sysreg.h"
#include "kernel/arch/aarch64/vcpu_context.h"
#include "kernel/boot_pack.h"
#include "kernel/dispatcher.h"
#include "kernel/domain.h"
#include "kernel/panic.h"

extern "C" [[noreturn]] void enter_guest(septum::aarch64::ExceptionFrame* frame);

namespace septum::aarch64 {

namespace {

// HCR_EL2 while guests run: stage 2 on; IRQ/FIQ/SError to EL2; WFI/WFE,
// SMC, ID-register group 3, implementation-defined and set/way cache
// operations, ACTLR, RAS error records and LORegions trapped; EL1 is AArch64.
constexpr uint64_t kHcrGuest = (1ull << 0) /*VM*/ | (1ull << 1) /*SWIO*/ | (1ull << 2) /*PTW*/ | (1ull << 3) /*FMO*/ |
                               (1ull << 4) /*IMO*/ | (1ull << 5) /*AMO*/ | (1ull << 9) /*FB*/ | (1ull << 10) /*BSU IS*/ |
                               (1ull << 13) /*TWI*/ | (1ull << 14) /*TWE*/ | (1ull << 18) /*TID3*/ |
                               (1ull << 19) /*TSC*/ | (1ull << 20) /*TIDCP*/ | (1ull << 21) /*TACR*/ |
                               (1ull << 22) /*TSW*/ | (1ull << 31) /*RW*/ | (1ull << 35) /*TLOR*/ |
                               (1ull << 36) /*TERR*/;
// CPTR_EL2: FP/SIMD untrapped (switched eagerly); SVE, trace and AMU trapped.
constexpr uint64_t kCptrGuest = 0x32ff | (1ull << 8) /*TZ*/ | (1ull << 20) /*TTA*/ | (1ull << 30) /*TAM*/;
// MDCR_EL2: debug, PMU, statistical profiling and trace-filter registers
// trapped (emulated as absent).
constexpr uint64_t kMdcrTraps = (1ull << 5) /*TPMCR*/ | (1ull << 6) /*TPM*/ | (1ull << 9) /*TDA*/ |
                                (1ull << 10) /*TDOSA*/ | (1ull << 11) /*TDRA*/ | (1ull << 14) /*TPMS*/ |
                                (1ull << 19) /*TTRF*/;
// CNTHCTL_EL2: EL1 may read the physical counter; its physical timer is emulated.
constexpr uint64_t kCnthctlGuest = 1ull << 0;

constexpr uint64_t kCntvEnable = 1u << 0;
constexpr uint64_t kCntvMask = 1u << 1;
constexpr uint64_t kCntvStatus = 1u << 2;
constexpr uint64_t kIchHcrUnderflow = 1u << 1;
constexpr uint64_t kIchHcrEnable = 1u << 0;

constexpr uint32_t kSgiReschedule = 0;
constexpr uint32_t kSgiScrub = 1;

// Xen hypercalls (HVC #0xEA1, number in x16).
constexpr uint64_t kXenHvcImmediate = 0xea1;
constexpr uint64_t kHypercallXenVersion = 17;
constexpr uint64_t kHypercallConsoleIo = 18;
constexpr uint64_t kHypercallSchedOp = 29;
constexpr uint64_t kConsoleIoWrite = 0;
constexpr uint64_t kSchedOpYield = 0;
constexpr uint64_t kSchedOpBlock = 1;
constexpr uint64_t kSchedOpShutdown = 2;
constexpr uint64_t kXenVersionVersion = 0;
constexpr int64_t kErrnoFault = -14;
constexpr int64_t kErrnoInvalid = -22;
constexpr int64_t kErrnoNoSys = -38;
constexpr uint64_t kMaxConsoleWrite = 4096;

struct Pcpu {
  Dispatcher dispatcher;
  Vcpu* vcpus[Dispatcher::kMaxEntities] = {};  // pinned here, for their software timers
  size_t vcpu_count = 0;
  Vcpu* current = nullptr;
  uint64_t timer_programmed = 0;
};

struct Guests {
  GuestEnvironment env{};
  Domain domains[abi::kMaxBootDomains];
  size_t domain_count = 0;
  Pcpu pcpus[Platform::kMaxCpus];
  unsigned ipa_bits = 0;
  bool any_critical = false;
  bool critical_failed = false;
};

constinit Guests guests;

// One lock serialises every change to domain, vGIC and dispatcher state:
// exits are short, and it keeps the first version of the core obviously
// correct. Scrubbing runs outside it.
std::atomic_flag big_lock = ATOMIC_FLAG_INIT;

void lock() {
  while (big_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void unlock() { big_lock.clear(std::memory_order_release); }

PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(SEPTUM_READ_SYSREG(TPIDR_EL2)); }
Pcpu& this_pcpu() { return guests.pcpus[this_cpu().index]; }

uint64_t counter() {
  isb();
  return SEPTUM_READ_SYSREG(CNTPCT_EL0);
}

// Split so that no intermediate product overflows for counters up to 10 GHz.
constexpr uint64_t kNsPerSecond = 1'000'000'000;

uint64_t ticks_to_ns(uint64_t ticks) {
  uint64_t hz = guests.env.features.counter_hz;
  return ticks / hz * kNsPerSecond + ticks % hz * kNsPerSecond / hz;
}

uint64_t ns_to_ticks(uint64_t ns) {
  uint64_t hz = guests.env.features.counter_hz;
  return ns / kNsPerSecond * hz + ns % kNsPerSecond * hz / kNsPerSecond;
}

void send_sgi(uint32_t pcpu, uint32_t sgi) {
  uint64_t mpidr = guests.env.cpus[pcpu].mpidr;
  uint64_t aff0 = mpidr & 0xff;
  uint64_t value = (uint64_t{sgi} << 24) | (1ull << (aff0 & 0xf)) | ((aff0 >> 4) << 44) /*RS*/ |
                   (((mpidr >> 8) & 0xff) << 16) | (((mpidr >> 16) & 0xff) << 32) | (((mpidr >> 32) & 0xff) << 48);
  dsb_ish();
  SEPTUM_WRITE_SYSREG(S3_0_C12_C11_5 /* ICC_SGI1R_EL1 */, value);
  isb();
}

// ---------------------------------------------------------------- lifecycle

void update_runnable(Vcpu& v) {
  v.sched.runnable = v.power == VcpuPower::on && !v.waiting_for_interrupt && v.domain->state == DomainState::running;
}

// Makes `v` notice new interrupts or a changed state: wakes it from WFI and
// interrupts the physical CPU it is on.
void kick(Vcpu& v) {
  if (v.waiting_for_interrupt && v.domain->vgic.has_deliverable(v.index)) {
    v.waiting_for_interrupt = false;
    v.sched.boosted = true;
  }
  update_runnable(v);
  if (v.pcpu != this_cpu().index) send_sgi(v.pcpu, kSgiReschedule);
}

void kick_mask(Domain& d, uint32_t mask) {
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    if (mask & (1u << i)) kick(d.vcpus[i]);
  }
}

struct ScrubJob {
  std::atomic<Domain*> domain{nullptr};  // published last: the other fields are set first
  std::atomic<uint64_t> next_piece{0};
  std::atomic<uint64_t> done_pieces{0};
  std::atomic<uint32_t> cpus{0};
  // CPUs inside scrub_participate(): a job is not reused while one of them
  // may still hold the previous job's domain.
  std::atomic<uint32_t> participants{0};
  uint64_t pieces = 0;
};
constinit ScrubJob scrub_job;
constexpr uint64_t kScrubPiece = 2 << 20;

// Claims and zeroes 2 MiB pieces of the dying domain's memory until none
// is left; every CPU that gets the scrub SGI joins in.
void scrub_participate() {
  scrub_job.participants.fetch_add(1);
  Domain* d = scrub_job.domain.load();
  if (!d) {
    scrub_job.participants.fetch_sub(1);
    return;
  }
  bool worked = false;
  for (;;) {
    uint64_t piece = scrub_job.next_piece.fetch_add(1);
    if (piece >= scrub_job.pieces) break;
    uint64_t offset = piece * kScrubPiece;
    for (size_t i = 0; i < d->chunk_count; ++i) {
      const MemoryChunk& c = d->chunks[i];
      if (offset >= c.size) {
        offset -= c.size;
        continue;
      }
      auto* p = reinterpret_cast<uint64_t*>(c.pa + offset);
      for (uint64_t w = 0; w < kScrubPiece / 8; ++w) p[w] = 0;
      clean_dcache_to_poc(p, kScrubPiece);  // the next owner may read with its MMU off
      break;
    }
    worked = true;
    scrub_job.done_pieces.fetch_add(1);
  }
  if (worked) scrub_job.cpus.fetch_or(1u << this_cpu().index);
  scrub_job.participants.fetch_sub(1);
}

void power_off_if_done();

// Called with the lock held once no vCPU of `d` is loaded anywhere.
// Scrubs and releases its memory; the lock is dropped while scrubbing.
void destroy_domain(Domain& d) {
  d.state = DomainState::destroying;
  // One scrub at a time: help finish the one under way, then start ours.
  while (scrub_job.domain.load() || scrub_job.participants.load()) {
    unlock();
    scrub_participate();
    lock();
  }
  scrub_job.pieces = d.memory_size / kScrubPiece;
  scrub_job.next_piece.store(0);
  scrub_job.done_pieces.store(0);
  scrub_job.cpus.store(0);
  scrub_job.domain.store(&d);
  unlock();
  for (size_t i = 0; i < guests.env.platform->cpu_count; ++i) {
    if (i != this_cpu().index) send_sgi(static_cast<uint32_t>(i), kSgiScrub);
  }
  scrub_participate();
  while (scrub_job.done_pieces.load() < scrub_job.pieces) {
  }
  lock();
  uint32_t helpers = static_cast<uint32_t>(__builtin_popcount(scrub_job.cpus.load()));
  scrub_job.domain.store(nullptr);
  for (size_t i = 0; i < d.chunk_count; ++i) {
    unsigned order = static_cast<unsigned>(__builtin_ctzll(d.chunks[i].size >> 12));
    (void)guests.env.allocator->free(d.chunks[i].pa, order);
  }
  SEPTUM_WRITE_SYSREG(VTTBR_EL2, uint64_t{d.vmid} << 48 | d.stage2->root());
  isb();
  asm volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
  d.stage2->destroy();
  log("septum: domain {} destroyed: {} MiB scrubbed by {} CPU(s) and returned", d.name, d.memory_size >> 20,
      helpers);
  d.state = DomainState::free;
  power_off_if_done();
}

size_t loaded_vcpus(const Domain& d) {
  size_t n = 0;
  for (size_t i = 0; i < guests.env.platform->cpu_count; ++i) {
    if (guests.pcpus[i].current && guests.pcpus[i].current->domain == &d) ++n;
  }
  return n;
}

std::string_view reason_name(ShutdownReason r) {
  switch (r) {
    case ShutdownReason::poweroff: return "power off";
    case ShutdownReason::reboot: return "reboot";
    case ShutdownReason::suspend: return "suspend";
    case ShutdownReason::crash: return "crash";
    case ShutdownReason::watchdog: return "watchdog";
  }
  return "unknown";
}

void console_put(Domain& d, char c);

// Ends a domain: its vCPUs stop everywhere; the memory is scrubbed once the
// last of them has left its physical CPU.
void end_domain(Domain& d, ShutdownReason reason) {
  if (d.state != DomainState::running) return;
  d.state = DomainState::dead;
  d.reason = reason;
  if (d.critical && reason != ShutdownReason::poweroff) guests.critical_failed = true;
  if (d.console_length > 0) console_put(d, '\n');
  log("septum: domain {} shut down ({})", d.name, reason_name(reason));
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    Vcpu& v = d.vcpus[i];
    v.power = VcpuPower::off;
    update_runnable(v);
    guests.pcpus[v.pcpu].dispatcher.remove(v.sched);
    if (guests.pcpus[v.pcpu].current == &v && v.pcpu != this_cpu().index) send_sgi(v.pcpu, kSgiReschedule);
  }
}

// A fault the core cannot handle kills the domain, never the system.
template <class... Args>
void kill_domain(Vcpu& v, const ExceptionFrame& frame, std::string_view what, const Args&... args) {
  log_detail::lock();
  format(log_detail::console(), "septum: domain {} vcpu {} killed: ", v.domain->name, v.index);
  format(log_detail::console(), what, args...);
  format(log_detail::console(), "\n  ESR {:#x}  ELR {:#x}  SPSR {:#x}\n", frame.esr, frame.elr, frame.spsr);
  log_detail::unlock();
  end_domain(*v.domain, ShutdownReason::crash);
}

void power_off_if_done() {
  bool critical_alive = false, any_alive = false;
  for (size_t i = 0; i < guests.domain_count; ++i) {
    const Domain& d = guests.domains[i];
    if (d.state == DomainState::free) continue;
    any_alive = true;
    if (d.critical && d.state == DomainState::running) critical_alive = true;
  }
  bool done = guests.any_critical ? !critical_alive : !any_alive;
  if (!done) return;
  // Remaining dead domains still holding memory are scrubbed first.
  if (any_alive && !guests.any_critical) return;
  log("septum: {} ended; powering off", guests.any_critical ? "the last critical domain" : "every domain");
  system_off(guests.critical_failed ? ExitStatus::crash : ExitStatus::ok);
}

// ---------------------------------------------------------------- guest memory

// Copies from guest virtual memory of the loaded vCPU, translating every
// page through its stage 1 (AT S1E1R) and its RAM. False on a bad pointer.
bool copy_from_guest(Vcpu& v, uint64_t va, void* out, uint64_t size) {
  auto* dst = static_cast<uint8_t*>(out);
  uint64_t guest_par = SEPTUM_READ_SYSREG(PAR_EL1);  // the guest's own, restored below
  while (size > 0) {
    asm volatile("at s1e1r, %0" ::"r"(va));
    isb();
    uint64_t par = SEPTUM_READ_SYSREG(PAR_EL1);
    SEPTUM_WRITE_SYSREG(PAR_EL1, guest_par);
    if (par & 1) return false;
    uint64_t ipa = (par & 0x0000fffffffff000ull) | (va & 0xfff);
    uint64_t chunk = 0x1000 - (va & 0xfff);
    if (chunk > size) chunk = size;
    if (!v.domain->contains(ipa, chunk)) return false;
    const auto* src = reinterpret_cast<const uint8_t*>(v.domain->ram_pa(ipa));
    for (uint64_t i = 0; i < chunk; ++i) dst[i] = src[i];
    dst += chunk;
    va += chunk;
    size -= chunk;
  }
  return true;
}

void console_put(Domain& d, char c) {
  if (c == '\r') return;
  if (c != '\n' && d.console_length < Domain::kConsoleLineLength) {
    d.console_line[d.console_length++] = c;
    if (d.console_length < Domain::kConsoleLineLength) return;
  }
  log("[{}] {}", d.name, std::string_view(d.console_line, d.console_length));
  d.console_length = 0;
}

// ---------------------------------------------------------------- PSCI and hypercalls

void start_vcpu(Vcpu& target, uint64_t entry, uint64_t context_id) {
  reset_context(target.context, entry, context_id, abi::guest_mpidr(target.index));
  target.power = VcpuPower::on;
  target.waiting_for_interrupt = false;
  target.timer_deadline = 0;
  target.physical_timer_ctl = 0;
  target.physical_timer_armed = false;
  kick(target);
}

void handle_smccc(Vcpu& v, ExceptionFrame& frame) {
  uint32_t function = static_cast<uint32_t>(frame.x[0]);
  Domain& d = *v.domain;
  int64_t result = psci::kNotSupported;
  switch (function) {
    case psci::kVersion:
      result = psci::kVersion1_1;
      break;
    case psci::kSmcccVersion:
      result = psci::kVersion1_1;
      break;
    case psci::kSmcccArchFeatures:
      result = frame.x[1] == psci::kSmcccVersion ? 0 : psci::kNotSupported;
      break;
    case psci::kFeatures: {
      uint32_t queried = static_cast<uint32_t>(frame.x[1]);
      bool known = queried == psci::kVersion || queried == psci::kCpuSuspend32 || queried == psci::kCpuSuspend ||
                   queried == psci::kCpuOff || queried == psci::kCpuOn32 ||
                   queried == psci::kCpuOn || queried == psci::kAffinityInfo32 || queried == psci::kAffinityInfo ||
                   queried == psci::kMigrateInfoType || queried == psci::kSystemOff || queried == psci::kSystemReset ||
                   queried == psci::kFeatures || queried == psci::kSmcccVersion;
      result = known ? 0 : psci::kNotSupported;
      break;
    }
    case psci::kCpuOn32:
    case psci::kCpuOn: {
      bool smc32 = function == psci::kCpuOn32;  // the 32-bit form ignores the upper halves
      uint64_t target = smc32 ? frame.x[1] & 0xffffffff : frame.x[1];
      uint64_t entry = smc32 ? frame.x[2] & 0xffffffff : frame.x[2];
      uint64_t context_id = smc32 ? frame.x[3] & 0xffffffff : frame.x[3];
      if (target >= d.vcpu_count) {
        result = psci::kInvalidParameters;
      } else if (d.vcpus[target].power == VcpuPower::on) {
        result = psci::kAlreadyOn;
      } else if (entry % 4 != 0 || !d.contains(entry, 4)) {
        result = psci::kInvalidAddress;
      } else {
        start_vcpu(d.vcpus[target], entry, context_id);
        result = psci::kSuccess;
      }
      break;
    }
    case psci::kCpuOff:
      v.power = VcpuPower::off;
      update_runnable(v);
      return;
    case psci::kAffinityInfo32:
    case psci::kAffinityInfo: {
      uint64_t target = function == psci::kAffinityInfo32 ? frame.x[1] & 0xffffffff : frame.x[1];
      if ((frame.x[2] & 0xffffffff) != 0 || target >= d.vcpu_count) {
        result = psci::kInvalidParameters;
      } else {
        result = d.vcpus[target].power == VcpuPower::on ? 0 : 1;
      }
      break;
    }
    case psci::kMigrateInfoType:
      result = psci::kTrustedOsNotPresent;
      break;
    case psci::kSystemOff:
      end_domain(d, ShutdownReason::poweroff);
      return;
    case psci::kSystemReset:
      end_domain(d, ShutdownReason::reboot);
      return;
    case psci::kCpuSuspend32:
    case psci::kCpuSuspend:
      // A standby suspend is a WFI; every wake-up is a valid return.
      if (!d.vgic.has_deliverable(v.index)) {
        v.waiting_for_interrupt = true;
        update_runnable(v);
      }
      result = psci::kSuccess;
      break;
    default:
      break;
  }
  frame.x[0] = static_cast<uint64_t>(result);
}

void handle_hypercall(Vcpu& v, ExceptionFrame& frame) {
  Domain& d = *v.domain;
  int64_t result = kErrnoNoSys;
  switch (frame.x[16]) {
    case kHypercallXenVersion:
      result = frame.x[0] == kXenVersionVersion ? (4 << 16) | 17 : kErrnoNoSys;
      break;
    case kHypercallConsoleIo: {
      if (frame.x[0] != kConsoleIoWrite) break;
      uint64_t count = frame.x[1] < kMaxConsoleWrite ? frame.x[1] : kMaxConsoleWrite;
      char buffer[256];
      uint64_t done = 0;
      result = static_cast<int64_t>(count);
      while (done < count) {
        uint64_t n = count - done < sizeof buffer ? count - done : sizeof buffer;
        if (!copy_from_guest(v, frame.x[2] + done, buffer, n)) {
          result = kErrnoFault;
          break;
        }
        for (uint64_t i = 0; i < n; ++i) console_put(d, buffer[i]);
        done += n;
      }
      break;
    }
    case kHypercallSchedOp:
      if (frame.x[0] == kSchedOpYield) {
        result = 0;
      } else if (frame.x[0] == kSchedOpBlock) {
        if (!d.vgic.has_deliverable(v.index)) {
          v.waiting_for_interrupt = true;
          update_runnable(v);
        }
        result = 0;
      } else if (frame.x[0] == kSchedOpShutdown) {
        uint32_t reason = 0;
        if (!copy_from_guest(v, frame.x[1], &reason, sizeof reason)) {
          result = kErrnoFault;
        } else if (reason > static_cast<uint32_t>(ShutdownReason::watchdog)) {
          result = kErrnoInvalid;
        } else {
          end_domain(d, static_cast<ShutdownReason>(reason));
          return;
        }
      }
      break;
    default:
      break;
  }
  frame.x[0] = static_cast<uint64_t>(result);
}

// ---------------------------------------------------------------- system registers

struct SysregAccess {
  uint32_t op0, op1, crn, crm, op2, rt;
  bool read;
};

SysregAccess decode_sysreg(uint32_t iss) {
  return {(iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 0xf, (iss >> 1) & 0xf, (iss >> 17) & 7, (iss >> 5) & 0x1f,
          (iss & 1) != 0};
}

constexpr uint64_t field_mask(unsigned shift) { return 0xfull << shift; }

// ID registers as guests see them: features the core does not switch or
// virtualise (SVE, SME, MTE, pointer authentication, AMU, MPAM, SPE, PMU,
// AArch32) are hidden.
std::optional<uint64_t> sanitized_id_register(uint32_t crm, uint32_t op2) {
  switch (crm << 3 | op2) {
    case 4 << 3 | 0: {  // ID_AA64PFR0_EL1
      uint64_t v = SEPTUM_READ_SYSREG(ID_AA64PFR0_EL1);
      v &= ~(field_mask(0) | field_mask(4) | field_mask(28) | field_mask(32) | field_mask(36) | field_mask(40) |
             field_mask(44));
      return v | 1 /*EL0 AArch64 only*/ | (1 << 4) /*EL1 AArch64 only*/;
    }
    case 4 << 3 | 1:  // ID_AA64PFR1_EL1: keep BT and SSBS only
      return SEPTUM_READ_SYSREG(ID_AA64PFR1_EL1) & (field_mask(0) | field_mask(4));
    case 5 << 3 | 0: {  // ID_AA64DFR0_EL1: no PMU, SPE or trace buffer
      uint64_t v = SEPTUM_READ_SYSREG(ID_AA64DFR0_EL1);
      return v & ~(field_mask(8) | field_mask(32) | field_mask(44) | field_mask(40));
    }
    case 6 << 3 | 0:
      return SEPTUM_READ_SYSREG(ID_AA64ISAR0_EL1);
    case 6 << 3 | 1: {  // ID_AA64ISAR1_EL1: no pointer authentication
      uint64_t v = SEPTUM_READ_SYSREG(ID_AA64ISAR1_EL1);
      return v & ~(field_mask(4) | field_mask(8) | field_mask(24) | field_mask(28));
    }
    case 6 << 3 | 2: {  // ID_AA64ISAR2_EL1: no WFxT, QARMA3 pointer authentication or MOPS
      uint64_t v = SEPTUM_READ_SYSREG(S3_0_C0_C6_2);
      return v & ~(field_mask(0) | field_mask(8) | field_mask(12) | field_mask(16));
    }
    case 7 << 3 | 0:
      return SEPTUM_READ_SYSREG(ID_AA64MMFR0_EL1);
    case 7 << 3 | 1:  // ID_AA64MMFR1_EL1: no LORegions
      return SEPTUM_READ_SYSREG(ID_AA64MMFR1_EL1) & ~field_mask(16);
    case 7 << 3 | 2:
      return SEPTUM_READ_SYSREG(ID_AA64MMFR2_EL1);
    default:
      return 0;  // AArch32 and unallocated ID registers read as zero
  }
}

void set_register(ExceptionFrame& frame, uint32_t rt, uint64_t value) {
  if (rt != 31) frame.x[rt] = value;
}

uint64_t get_register(const ExceptionFrame& frame, uint32_t rt) { return rt == 31 ? 0 : frame.x[rt]; }

void arm_physical_timer(Vcpu& v) {
  v.physical_timer_armed = (v.physical_timer_ctl & kCntvEnable) && !(v.physical_timer_ctl & kCntvMask);
}

// CNTP_TVAL_EL0 (op2 0), CNTP_CTL_EL0 (op2 1), CNTP_CVAL_EL0 (op2 2) of the
// emulated EL1 physical timer.
void emulate_physical_timer(Vcpu& v, ExceptionFrame& frame, const SysregAccess& a) {
  uint64_t now = counter();
  switch (a.op2) {
    case 0:
      if (a.read) {
        set_register(frame, a.rt, (v.physical_timer_cval - now) & 0xffffffff);
      } else {
        v.physical_timer_cval = now + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(get_register(frame, a.rt))));
        arm_physical_timer(v);
      }
      return;
    case 1:
      if (a.read) {
        uint64_t status = (v.physical_timer_ctl & kCntvEnable) && now >= v.physical_timer_cval ? 4 : 0;
        set_register(frame, a.rt, (v.physical_timer_ctl & 3) | status);
      } else {
        v.physical_timer_ctl = get_register(frame, a.rt) & 3;
        arm_physical_timer(v);
      }
      return;
    default:
      if (a.read) {
        set_register(frame, a.rt, v.physical_timer_cval);
      } else {
        v.physical_timer_cval = get_register(frame, a.rt);
        arm_physical_timer(v);
      }
      return;
  }
}

// Returns false when the access is not emulated (the guest gets an UNDEF).
bool emulate_sysreg(Vcpu& v, ExceptionFrame& frame, uint32_t iss) {
  SysregAccess a = decode_sysreg(iss);
  Domain& d = *v.domain;
  if (a.op0 == 3 && a.op1 == 3 && a.crn == 14 && a.crm == 2 && a.op2 <= 2) {
    emulate_physical_timer(v, frame, a);
    return true;
  }
  if (a.op0 == 3 && a.op1 == 0 && a.crn == 12 && a.crm == 11 && a.op2 == 5 && !a.read) {  // ICC_SGI1R_EL1
    kick_mask(d, d.vgic.send_sgi(v.index, get_register(frame, a.rt)));
    return true;
  }
  if (a.op0 == 3 && a.op1 == 0 && a.crn == 0 && a.crm >= 1 && a.crm <= 7 && a.read) {
    set_register(frame, a.rt, *sanitized_id_register(a.crm, a.op2));
    return true;
  }
  bool debug = a.op0 == 2;                                                       // debug and trace
  bool pmu = a.op0 == 3 && ((a.op1 == 3 && (a.crn == 9 || a.crn == 14)) ||     // PMU
                             (a.op1 == 0 && a.crn == 9 && a.crm == 14));          // PMINTEN*, PMMIR
  bool actlr = a.op0 == 3 && a.op1 == 0 && a.crn == 1 && a.crm == 0 && a.op2 == 1;  // ACTLR_EL1
  bool set_way = a.op0 == 1 && a.crn == 7 && (a.crm == 6 || a.crm == 10 || a.crm == 14) && a.op2 == 2;
  if (debug || pmu || actlr || set_way) {  // read as zero, writes ignored
    if (a.read) set_register(frame, a.rt, 0);
    return true;
  }
  return false;
}

// UNDEF into the guest's own EL1 vector, as the hardware would deliver it.
void inject_undefined(ExceptionFrame& frame) {
  constexpr uint64_t kModeMask = 0xf;
  uint64_t from_el1 = (frame.spsr & kModeMask) != 0;
  bool from_spx = (frame.spsr & 1) != 0;
  uint64_t offset = from_el1 ? (from_spx ? 0x200 : 0x000) : 0x400;
  SEPTUM_WRITE_SYSREG(ESR_EL1, 1ull << 25);  // EC 0: unknown, IL = 32-bit
  SEPTUM_WRITE_SYSREG(ELR_EL1, frame.elr);
  SEPTUM_WRITE_SYSREG(SPSR_EL1, frame.spsr);
  frame.elr = SEPTUM_READ_SYSREG(VBAR_EL1) + offset;
  frame.spsr = 0x5 | (0xfull << 6);  // EL1h, DAIF masked
}

// ---------------------------------------------------------------- stage-2 aborts

// Steps over the trapped instruction: 4 bytes, or 2 for a 16-bit T32 one.
void skip_instruction(ExceptionFrame& frame) { frame.elr += decode_esr(frame.esr).il ? 4 : 2; }

void handle_data_abort(Vcpu& v, ExceptionFrame& frame) {
  uint32_t iss = decode_esr(frame.esr).iss;
  uint64_t ipa = ((SEPTUM_READ_SYSREG(HPFAR_EL2) >> 4) << 12) | (frame.far & 0xfff);
  bool gicd = ipa >= abi::kGuestGicdBase && ipa < abi::kGuestGicdBase + abi::kGuestGicdSize;
  bool gicr = ipa >= abi::kGuestGicrBase && ipa < abi::kGuestGicrBase + abi::kGuestGicrSize;
  bool syndrome_valid = (iss >> 24) & 1;
  if ((!gicd && !gicr) || !syndrome_valid) {
    kill_domain(v, frame, "stage-2 {} fault at IPA {:#x} (VA {:#x}){}", (iss >> 6) & 1 ? "write" : "read", ipa,
                frame.far, syndrome_valid ? "" : " without instruction syndrome");
    return;
  }
  unsigned width = 1u << ((iss >> 22) & 3);
  uint32_t rt = (iss >> 16) & 0x1f;
  bool write = (iss >> 6) & 1;
  Domain& d = *v.domain;
  Status status = Status::ok();
  if (write) {
    uint64_t value = get_register(frame, rt);
    if (width < 8) value &= (1ull << (8 * width)) - 1;
    uint32_t kick_set = 0;
    status = gicd ? d.vgic.write_distributor(v.index, ipa - abi::kGuestGicdBase, width, value, kick_set)
                  : d.vgic.write_redistributor(v.index, ipa - abi::kGuestGicrBase, width, value, kick_set);
    kick_mask(d, kick_set);
  } else {
    uint64_t value = 0;
    status = gicd ? d.vgic.read_distributor(v.index, ipa - abi::kGuestGicdBase, width, value)
                  : d.vgic.read_redistributor(v.index, ipa - abi::kGuestGicrBase, width, value);
    if ((iss >> 21) & 1 && width < 8 && (value >> (8 * width - 1)) & 1) value |= ~0ull << (8 * width);  // SSE
    if (!((iss >> 15) & 1)) value &= 0xffffffff;  // SF: 32-bit register
    if (status.is_ok()) set_register(frame, rt, value);
  }
  if (!status.is_ok()) {
    kill_domain(v, frame, "bad GIC access at IPA {:#x}: {}", ipa, status.message());
    return;
  }
  skip_instruction(frame);
}

void handle_sync(Vcpu& v, ExceptionFrame& frame) {
  Syndrome s = decode_esr(frame.esr);
  switch (s.exception_class) {
    case 0x01:  // WFI/WFE (TI = 0 is WFI; WFE and the timeout forms just return)
      skip_instruction(frame);
      if ((s.iss & 3) == 0 && !v.domain->vgic.has_deliverable(v.index)) {
        v.waiting_for_interrupt = true;
        update_runnable(v);
      }
      return;
    case 0x16:  // HVC
      if ((s.iss & 0xffff) == kXenHvcImmediate) {
        handle_hypercall(v, frame);
      } else if ((s.iss & 0xffff) == 0) {
        handle_smccc(v, frame);
      } else {
        frame.x[0] = static_cast<uint64_t>(psci::kNotSupported);
      }
      return;
    case 0x17:  // SMC, trapped by HCR_EL2.TSC: the return address is the SMC itself
      skip_instruction(frame);
      handle_smccc(v, frame);
      return;
    case 0x18:  // MSR/MRS/system instruction
      if (emulate_sysreg(v, frame, s.iss)) {
        skip_instruction(frame);
      } else {
        inject_undefined(frame);
      }
      return;
    case 0x24:
      handle_data_abort(v, frame);
      return;
    case 0x20:
      kill_domain(v, frame, "instruction abort at IPA {:#x} (VA {:#x})",
                  ((SEPTUM_READ_SYSREG(HPFAR_EL2) >> 4) << 12) | (frame.far & 0xfff), frame.far);
      return;
    case 0x07:
    case 0x19:
      inject_undefined(frame);
      return;
    default:
      kill_domain(v, frame, "unhandled exception: {}", exception_class_name(s.exception_class));
      return;
  }
}

// ---------------------------------------------------------------- timers and interrupts

// Descheduled vCPUs whose virtual timer expired get their interrupt.
void expire_software_timers(Pcpu& pcpu, uint64_t now) {
  for (size_t i = 0; i < pcpu.vcpu_count; ++i) {
    Vcpu& v = *pcpu.vcpus[i];
    Domain& d = *v.domain;
    if (d.state != DomainState::running) continue;
    if (v.physical_timer_armed && v.physical_timer_cval <= now) {
      v.physical_timer_armed = false;
      d.vgic.raise(v.index, abi::kGuestTimerPhysicalIntid);
      kick(v);
    }
    if (v.timer_deadline == 0 || v.timer_deadline > now) continue;
    v.timer_deadline = 0;
    v.context.timer.cntv_ctl |= kCntvMask;
    d.vgic.raise(v.index, abi::kGuestTimerVirtualIntid);
    kick(v);
  }
}

uint64_t earliest_software_timer(const Pcpu& pcpu) {
  uint64_t earliest = ~0ull;
  for (size_t i = 0; i < pcpu.vcpu_count; ++i) {
    const Vcpu& v = *pcpu.vcpus[i];
    if (v.domain->state != DomainState::running) continue;
    if (v.timer_deadline != 0 && v.timer_deadline < earliest) earliest = v.timer_deadline;
    if (v.physical_timer_armed && v.physical_timer_cval < earliest) earliest = v.physical_timer_cval;
  }
  return earliest;
}

void program_timer(uint64_t deadline) {
  if (deadline == ~0ull) {
    SEPTUM_WRITE_SYSREG(CNTHP_CTL_EL2, 0);
  } else {
    SEPTUM_WRITE_SYSREG(CNTHP_CVAL_EL2, deadline);
    SEPTUM_WRITE_SYSREG(CNTHP_CTL_EL2, 1);
  }
  isb();
}

// Acknowledges one physical interrupt and does what it asks. Called without
// the lock: scrubbing must not hold it.
void take_physical_interrupt() {
  uint32_t intid = guests.env.gic->acknowledge();
  if (GicV3::is_spurious(intid)) return;
  const Platform& p = *guests.env.platform;
  if (intid == kSgiScrub) {
    guests.env.gic->end_of_interrupt(intid);
    scrub_participate();
    return;
  }
  lock();
  Pcpu& pcpu = this_pcpu();
  if (intid == p.timer_hypervisor_intid) {
    SEPTUM_WRITE_SYSREG(CNTHP_CTL_EL2, 0);
    expire_software_timers(this_pcpu(), counter());
  } else if (intid == p.timer_virtual_intid) {
    // The loaded vCPU's virtual timer fired: mask it (the guest unmasks when
    // it rearms) and deliver it through the vGIC. The interrupt may also be
    // a late echo of the previous vCPU's timer: then the live timer does
    // not show a firing, and nothing is injected.
    uint64_t ctl = SEPTUM_READ_SYSREG(CNTV_CTL_EL0);
    bool firing = (ctl & kCntvEnable) && (ctl & kCntvStatus) && !(ctl & kCntvMask);
    if (Vcpu* v = pcpu.current; v && firing) {
      SEPTUM_WRITE_SYSREG(CNTV_CTL_EL0, ctl | kCntvMask);
      v->domain->vgic.raise(v->index, abi::kGuestTimerVirtualIntid);
      kick(*v);
    }
  } else if (intid == p.gic_maintenance_intid) {
    // List-register underflow: entering the guest again refills them.
    SEPTUM_WRITE_SYSREG(S3_4_C12_C11_0, SEPTUM_READ_SYSREG(S3_4_C12_C11_0) & ~kIchHcrUnderflow);
  } else if (intid != kSgiReschedule) {
    log("septum: cpu{}: unexpected interrupt {}", this_cpu().index, intid);
  }
  unlock();
  guests.env.gic->end_of_interrupt(intid);
}

// ---------------------------------------------------------------- switching

void load_stage2(const Domain& d) {
  SEPTUM_WRITE_SYSREG(VTTBR_EL2, uint64_t{d.vmid} << 48 | d.stage2->root());
  SEPTUM_WRITE_SYSREG(CNTVOFF_EL2, d.cntvoff);
}

void switch_out(Vcpu& v, const ExceptionFrame& frame) {
  v.context.frame = frame;
  save_context(v.context);
  const TimerState& t = v.context.timer;
  if ((t.cntv_ctl & kCntvEnable) && !(t.cntv_ctl & kCntvMask)) {
    v.timer_deadline = t.cntv_cval + v.domain->cntvoff;
    if (v.timer_deadline == 0) v.timer_deadline = 1;
  }
}

void switch_in(Vcpu& v, ExceptionFrame& frame) {
  load_stage2(*v.domain);
  // vCPUs of one domain share a VMID, but their guest expects per-CPU TLBs
  // (e.g. Linux's lazy local flushes): a different vCPU of the domain than
  // the last one here must not see its stage-1 entries.
  uint8_t& last = v.domain->last_vcpu_on[this_cpu().index];
  if (last != v.index) {
    isb();
    asm volatile("tlbi vmalle1\n ic iallu\n dsb nsh\n isb" ::: "memory");
    last = static_cast<uint8_t>(v.index);
  }
  load_context(v.context);
  v.timer_deadline = 0;
  frame = v.context.frame;
}

// Refills the list registers of the vCPU about to run.
void flush_interrupts(Vcpu& v) {
  uint64_t lrs[kMaxListRegisters];
  bool underflow = false;
  v.domain->vgic.flush(v.index, {lrs, guests.env.list_registers}, underflow);
  write_list_registers(lrs, guests.env.list_registers);
  SEPTUM_WRITE_SYSREG(S3_4_C12_C11_0, kIchHcrEnable | (underflow ? kIchHcrUnderflow : 0));
  isb();
}

void sync_interrupts(Vcpu& v) {
  uint64_t lrs[kMaxListRegisters];
  read_list_registers(lrs, guests.env.list_registers);
  kick_mask(*v.domain, v.domain->vgic.sync(v.index, {lrs, guests.env.list_registers}));
}

// Decides what this CPU runs next and makes `frame` its state. Returns with
// the lock released; idles (IRQs on, WFI) while nothing is runnable.
void schedule(ExceptionFrame& frame) {
  Pcpu& pcpu = this_pcpu();
  for (;;) {
    // A vCPU of a domain that ended leaves this CPU first; if it was the
    // domain's last loaded vCPU, the domain is destroyed before anything is
    // picked, so the scrubbing time is charged to no one.
    if (Vcpu* stale = pcpu.current; stale && stale->domain->state != DomainState::running) {
      SEPTUM_WRITE_SYSREG(CNTV_CTL_EL0, 0);
      pcpu.current = nullptr;
      Domain& d = *stale->domain;
      if (d.state == DomainState::dead && loaded_vcpus(d) == 0) destroy_domain(d);
      continue;
    }
    uint64_t now = counter();
    expire_software_timers(pcpu, now);
    Dispatcher::Decision decision = pcpu.dispatcher.pick(ticks_to_ns(now));
    Vcpu* next = decision.next ? static_cast<Vcpu*>(decision.next->owner) : nullptr;
    Vcpu* previous = pcpu.current;
    if (previous && previous != next) {
      switch_out(*previous, frame);
      pcpu.current = nullptr;
    }
    uint64_t deadline = earliest_software_timer(pcpu);
    if (decision.next_event_ns != Dispatcher::kNever) {
      uint64_t event = ns_to_ticks(decision.next_event_ns);
      if (event < deadline) deadline = event;
    }
    program_timer(deadline);
    if (next) {
      if (next != previous) switch_in(*next, frame);
      pcpu.current = next;
      flush_interrupts(*next);
      unlock();
      return;
    }
    // WFI with interrupts still masked: a pending interrupt wakes it, and it
    // is taken just after. Unmasking first would lose a wake-up handled
    // between the unmask and the WFI.
    unlock();
    wfi();
    irq_enable();
    isb();  // the pending interrupt is taken here
    irq_disable();
    lock();
  }
}

// ---------------------------------------------------------------- creation

Status create_domain(Domain& d, uint32_t id, const abi::BootPackDomain& spec, const BootPack& pack) {
  const GuestEnvironment& env = guests.env;
  d.id = id;
  d.vmid = static_cast<uint16_t>(id + 1);
  for (size_t i = 0; i < sizeof d.name - 1 && spec.name[i]; ++i) d.name[i] = spec.name[i];
  d.role = static_cast<abi::DomainRole>(spec.role);
  d.critical = spec.flags & abi::kDomainFlagCritical;
  d.ipa_base = spec.ipa_base;
  d.memory_size = spec.memory_size;
  d.stage2.emplace(*env.allocator, PageTable::Regime::stage2, guests.ipa_bits);
  SEPTUM_TRY(d.stage2->init());

  // RAM in the largest naturally aligned chunks the IPA layout allows, so
  // the stage-2 map can use 1 GiB and 2 MiB blocks.
  uint64_t ipa = d.ipa_base;
  uint64_t remaining = d.memory_size;
  while (remaining > 0) {
    unsigned order = 9;
    if (remaining >= (1ull << 30) && ipa % (1ull << 30) == 0) order = 18;
    auto pa = env.allocator->alloc(order);
    if (!pa && order == 18) pa = env.allocator->alloc(order = 9);
    if (!pa) return Status::error("domain {}: out of memory ({} MiB still needed)", d.name, remaining >> 20);
    if (d.chunk_count == Domain::kMaxChunks) return Status::error("domain {}: memory too fragmented", d.name);
    uint64_t size = 4096ull << order;
    d.chunks[d.chunk_count++] = {ipa, *pa, size};
    SEPTUM_TRY(d.stage2->map(ipa, *pa, size, {MemoryType::normal, true, true}));
    ipa += size;
    remaining -= size;
  }
  for (size_t i = 0; i < d.chunk_count; ++i) {
    auto* p = reinterpret_cast<uint64_t*>(d.chunks[i].pa);
    for (uint64_t w = 0; w < d.chunks[i].size / 8; ++w) p[w] = 0;
  }
  // Page by page: guest RAM is contiguous only within a chunk.
  auto copy_in = [&](uint64_t dst_ipa, const uint8_t* src, uint64_t size) {
    while (size > 0) {
      uint64_t n = 0x1000 - (dst_ipa & 0xfff);
      if (n > size) n = size;
      auto* dst = reinterpret_cast<uint8_t*>(d.ram_pa(dst_ipa));
      for (uint64_t i = 0; i < n; ++i) dst[i] = src[i];
      dst_ipa += n;
      src += n;
      size -= n;
    }
  };
  copy_in(spec.image_ipa, pack.image(id).data(), pack.image(id).size());
  copy_in(spec.dtb_ipa, pack.device_tree(id).data(), pack.device_tree(id).size());
  // The guest starts with its MMU and caches off: everything written above,
  // and the stage-2 tables, must be in memory, and no stale instructions cached.
  for (size_t i = 0; i < d.chunk_count; ++i) {
    clean_dcache_to_poc(reinterpret_cast<const void*>(d.chunks[i].pa), d.chunks[i].size);
  }
  asm volatile("ic ialluis\n dsb ish\n isb" ::: "memory");

  d.cntvoff = counter();
  for (uint8_t& last : d.last_vcpu_on) last = Domain::kNoVcpu;
  d.vgic.init(spec.vcpus);
  d.vcpu_count = spec.vcpus;
  ServerParams params{spec.budget_us * 1000, spec.period_us * 1000};
  uint64_t affinity = spec.affinity ? spec.affinity : ~0ull;
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    Vcpu& v = d.vcpus[i];
    v.domain = &d;
    v.index = i;
    // Hard affinity: the allowed physical CPU with the fewest vCPUs.
    size_t best = Platform::kMaxCpus;
    for (size_t c = 0; c < env.platform->cpu_count; ++c) {
      if (!(affinity & (1ull << c))) continue;
      if (best == Platform::kMaxCpus || guests.pcpus[c].dispatcher.size() < guests.pcpus[best].dispatcher.size()) best = c;
    }
    if (best == Platform::kMaxCpus) return Status::error("domain {}: no online CPU in its affinity", d.name);
    v.pcpu = static_cast<uint32_t>(best);
    v.sched.params = params;
    v.sched.owner = &v;
    Pcpu& pcpu = guests.pcpus[best];
    SEPTUM_TRY(pcpu.dispatcher.add(v.sched, ticks_to_ns(counter())));
    pcpu.vcpus[pcpu.vcpu_count++] = &v;
  }
  d.state = DomainState::running;
  start_vcpu(d.vcpus[0], spec.entry_ipa, spec.dtb_ipa);

  const PageTable::Stats& st = d.stage2->stats();
  log("septum: domain {} ({} vCPU, {} MiB at IPA {:#x}{}): stage-2 map {} x 1G, {} x 2M, {} x 4K, {} tables", d.name,
      d.vcpu_count, d.memory_size >> 20, d.ipa_base, d.critical ? ", critical" : "", st.blocks_1g, st.blocks_2m,
      st.pages_4k, st.tables);
  return Status::ok();
}

void configure_cpu_for_guests() {
  // ICH_VTR_EL2.PREbits (field + 1) preemption bits: 5 -> 1, 6 -> 2, 7 -> 4 APRs.
  unsigned preemption_bits = static_cast<unsigned>((SEPTUM_READ_SYSREG(S3_4_C12_C11_1) >> 26) & 7) + 1;
  set_active_priority_registers(preemption_bits > 5 ? 1u << (preemption_bits - 5) : 1);
  unsigned ps = guests.env.features.pa_range_field > 5 ? 5 : guests.env.features.pa_range_field;
  // SL0 must match PageTable's choice: level 0 above 42 IPA bits, else level 1.
  uint64_t sl0 = guests.ipa_bits > 42 ? 2 : 1;
  uint64_t vtcr = (1ull << 31) | (64 - guests.ipa_bits) | (sl0 << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
                  (uint64_t{ps} << 16);
  SEPTUM_WRITE_SYSREG(VTCR_EL2, vtcr);
  SEPTUM_WRITE_SYSREG(HCR_EL2, kHcrGuest);
  SEPTUM_WRITE_SYSREG(CPTR_EL2, kCptrGuest);
  uint64_t hpmn = SEPTUM_READ_SYSREG(MDCR_EL2) & 0x1f;
  SEPTUM_WRITE_SYSREG(MDCR_EL2, kMdcrTraps | hpmn);
  SEPTUM_WRITE_SYSREG(CNTHCTL_EL2, kCnthctlGuest);
  SEPTUM_WRITE_SYSREG(VPIDR_EL2, SEPTUM_READ_SYSREG(MIDR_EL1));
  isb();
  // Nothing a boot loader left in the EL1&0 TLBs may survive into a domain.
  asm volatile("tlbi alle1is\n dsb ish\n isb" ::: "memory");
  uint64_t redistributor = this_cpu().redistributor;
  const Platform& p = *guests.env.platform;
  for (uint32_t intid : {kSgiReschedule, kSgiScrub, p.timer_virtual_intid, p.gic_maintenance_intid}) {
    if (intid < 32) guests.env.gic->enable_ppi(redistributor, intid);
  }
}

}  // namespace

Status create_boot_domains(const GuestEnvironment& environment, const BootPack& pack) {
  guests.env = environment;
  guests.ipa_bits = environment.features.pa_bits > 48 ? 48 : environment.features.pa_bits;
  for (uint32_t i = 0; i < pack.domain_count(); ++i) {
    const abi::BootPackDomain spec = pack.domain(i);
    if (spec.flags & abi::kDomainFlagCritical) guests.any_critical = true;
    Status status = create_domain(guests.domains[i], i, spec, pack);
    if (!status.is_ok()) return status;
    guests.domain_count = i + 1;
  }
  return Status::ok();
}

void run_guests(PerCpu& cpu) {
  (void)cpu;
  irq_disable();
  configure_cpu_for_guests();
  lock();
  ExceptionFrame frame{};
  schedule(frame);
  enter_guest(&frame);
}

void handle_el2_irq() {
  take_physical_interrupt();
}

void handle_guest_exit(ExceptionFrame& frame, GuestExit kind) {
  if (kind == GuestExit::irq) take_physical_interrupt();
  lock();
  Vcpu* v = this_pcpu().current;
  if (v && v->domain->state == DomainState::running) {
    sync_interrupts(*v);
    if (kind == GuestExit::sync) {
      handle_sync(*v, frame);
    } else if (kind == GuestExit::fiq || kind == GuestExit::serror) {
      kill_domain(*v, frame, "{} taken from the guest", kind == GuestExit::fiq ? "FIQ" : "SError");
    }
  }
  schedule(frame);
}

}  // namespace septum::aarch64
