#include "sdk/runtime/exceptions.h"

#include <array>
#include <atomic>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/gic.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/sysreg.h"

namespace septum::sdk {

namespace {

// vectors.S passes group * 4 + kind; kinds are sync, IRQ, FIQ, SError.
constexpr uint64_t kSync = 0;
constexpr uint64_t kIrq = 1;
constexpr uint64_t kCurrentElSpx = 1;  // the only group a domain runs in

constexpr uint32_t kEcInstructionAbortLower = 0x20;
constexpr uint32_t kEcInstructionAbortSame = 0x21;
constexpr uint32_t kEcDataAbortLower = 0x24;
constexpr uint32_t kEcDataAbortSame = 0x25;

struct ProbeState {
  bool armed;
  bool faulted;
  uint64_t esr;
  uint64_t far;
};

constinit std::array<ProbeState, kMaxVcpus> probes{};

// Runs `access` so that a synchronous exception it causes skips the faulting
// instruction and is reported instead of crashing the domain.
template <class Access>
Probe guarded(Access access) {
  ProbeState& state = probes[this_vcpu()];
  state.faulted = false;
  state.armed = true;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  uint64_t value = access();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  state.armed = false;
  if (state.faulted) return {true, 0, state.esr, state.far};
  return {false, value, 0, 0};
}

const char* exception_class_name(uint32_t ec) {
  switch (ec) {
    case 0x00: return "undefined instruction";
    case 0x01: return "trapped WFI/WFE";
    case 0x07: return "trapped FP/SIMD";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC";
    case 0x16: return "HVC";
    case 0x17: return "SMC";
    case 0x18: return "trapped system register";
    case kEcInstructionAbortLower: return "instruction abort, lower EL";
    case kEcInstructionAbortSame: return "instruction abort, same EL";
    case 0x22: return "PC alignment";
    case kEcDataAbortLower: return "data abort, lower EL";
    case kEcDataAbortSame: return "data abort, same EL";
    case 0x26: return "SP alignment";
    case 0x2f: return "SError";
    case 0x3c: return "BRK";
    default: return "unrecognised class";
  }
}

void describe_fault_status(Sink& sink, uint32_t fsc) {
  static constexpr const char* kLevelled[] = {"address size fault", "translation fault", "access flag fault",
                                              "permission fault"};
  if (fsc < 0x10) {
    format(sink, "{}, level {}", kLevelled[fsc >> 2], fsc & 3);
  } else if (fsc == 0x10) {
    format(sink, "synchronous external abort");
  } else if (fsc == 0x21) {
    format(sink, "alignment fault");
  } else {
    format(sink, "not decoded");
  }
}

void report_crash(const ExceptionFrame& frame, uint64_t vector) {
  static constexpr const char* kKinds[] = {"synchronous exception", "IRQ", "FIQ", "SError"};
  static constexpr const char* kGroups[] = {"at EL1 on SP_EL0", "at EL1", "from EL0 (AArch64)", "from EL0 (AArch32)"};
  char text[1024];
  BufferSink sink(text, sizeof text);
  format(sink, "sdk: CRASH on vCPU {}: {} {}\n  ", this_vcpu(), kKinds[vector & 3], kGroups[vector >> 2]);
  describe_exception(sink, frame.esr, frame.far);
  format(sink, "\n  ELR {:#018x} (image offset {:#x}), SPSR {:#x}\n", frame.elr, frame.elr - image_base(), frame.spsr);
  for (int i = 0; i < 31; ++i) {
    format(sink, "  x{:<2} {:#018x}", i, frame.x[i]);
    if (i % 4 == 3 || i == 30) format(sink, "\n");
  }
  console_write(sink.view());
}

}  // namespace

void describe_exception(Sink& sink, uint64_t esr, uint64_t far) {
  uint32_t ec = static_cast<uint32_t>(esr >> 26) & 0x3f;
  uint32_t iss = static_cast<uint32_t>(esr) & 0x1ffffff;
  format(sink, "ESR {:#x} EC {:#04x} ({})", esr, ec, exception_class_name(ec));
  bool data = ec == kEcDataAbortLower || ec == kEcDataAbortSame;
  bool instruction = ec == kEcInstructionAbortLower || ec == kEcInstructionAbortSame;
  if (!data && !instruction) return;
  format(sink, " {} {:#04x} (", data ? "DFSC" : "IFSC", iss & 0x3f);
  describe_fault_status(sink, iss & 0x3f);
  format(sink, ")");
  if (data) format(sink, (iss >> 6) & 1 ? " write" : " read");
  bool far_valid = ((iss >> 10) & 1) == 0;  // FnV
  if (far_valid) {
    format(sink, " FAR {:#x}", far);
  } else {
    format(sink, " FAR not valid");
  }
}

Probe probe_read32(uint64_t address) {
  return guarded([=] { return uint64_t{mmio_read<uint32_t>(address)}; });
}

Probe probe_read64(uint64_t address) {
  return guarded([=] { return mmio_read<uint64_t>(address); });
}

Probe probe_write32(uint64_t address, uint32_t value) {
  return guarded([=] {
    mmio_write<uint32_t>(address, value);
    return uint64_t{0};
  });
}

Probe probe_write64(uint64_t address, uint64_t value) {
  return guarded([=] {
    mmio_write<uint64_t>(address, value);
    return uint64_t{0};
  });
}

Probe probe_smc(uint32_t function) {
  return guarded([=] { return static_cast<uint64_t>(psci::smc_call(function)); });
}

}  // namespace septum::sdk

// Called by vectors.S with the saved frame and group * 4 + kind.
extern "C" void handle_exception(septum::sdk::ExceptionFrame& frame, uint64_t vector) {
  using namespace septum::sdk;
  uint64_t group = vector >> 2;
  uint64_t kind = vector & 3;
  if (group == kCurrentElSpx && kind == kIrq) {
    gic::dispatch();
    return;
  }
  if (group == kCurrentElSpx && kind == kSync) {
    ProbeState& probe = probes[this_vcpu()];
    if (probe.armed) {
      probe = {false, true, frame.esr, frame.far};
      frame.elr += 4;  // skip the probed instruction
      return;
    }
  }
  report_crash(frame, vector);
  domain_exit();
}
