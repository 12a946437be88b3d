// kernel/arch.h for AArch64, and the exception entry from vectors.S.
#include "kernel/arch.h"

#include "kernel/arch/aarch64/esr.h"
#include "kernel/arch/aarch64/exceptions.h"
#include "kernel/arch/aarch64/guest.h"
#include "kernel/arch/aarch64/pl011.h"
#include "kernel/arch/aarch64/psci.h"
#include "kernel/arch/aarch64/sysreg.h"
#include "kernel/panic.h"

namespace septum {

void* arch::phys_to_virt(uint64_t pa) { return reinterpret_cast<void*>(pa); }

void arch::console_write(std::string_view text) { aarch64::pl011_write(text); }

void system_off(ExitStatus status) {
  aarch64::irq_disable();
  log("septum: system off, status {}", static_cast<unsigned>(status));
  aarch64::psci_call(psci::kSystemOff);
  for (;;) aarch64::wfi();  // PSCI SYSTEM_OFF does not return
}

namespace aarch64 {

namespace {

constinit IrqHandler irq_handler = nullptr;

enum class ExceptionKind : uint64_t { sync = 0, irq = 1, fiq = 2, serror = 3 };

constexpr const char* kSourceNames[] = {"EL2 with SP_EL0", "EL2", "a lower EL (AArch64)", "a lower EL (AArch32)"};
constexpr const char* kKindNames[] = {"synchronous exception", "IRQ", "FIQ", "SError"};

class ConsoleSink final : public Sink {
 public:
  void write(std::string_view text) override { arch::console_write(text); }
};

[[noreturn]] void crash_report(const ExceptionFrame& frame, uint64_t vector) {
  uint64_t mpidr = SEPTUM_READ_SYSREG(MPIDR_EL1) & 0xff00ffffffull;
  ConsoleSink sink;
  log_detail::lock_for_crash();
  format(sink, "septum: CRASH: {} from {} on the CPU with MPIDR {:#x}\n", kKindNames[vector % 4],
         kSourceNames[vector / 4], mpidr);
  describe_syndrome(sink, frame.esr, frame.far);
  format(sink, "  ELR {:#018x}  SPSR {:#010x}\n", frame.elr, frame.spsr);
  for (unsigned i = 0; i < 31; i += 4) {
    for (unsigned j = i; j < i + 4 && j < 31; ++j) format(sink, "  x{:<2} {:#018x}", j, frame.x[j]);
    sink.write("\n");
  }
  log_detail::unlock();
  system_off(ExitStatus::crash);
}

}  // namespace

void set_irq_handler(IrqHandler handler) { irq_handler = handler; }

extern "C" void handle_exception(ExceptionFrame* frame, uint64_t vector) {
  switch (vector) {
    case 5:  // IRQ taken at EL2 on SP_EL2
      if (!irq_handler) break;
      irq_handler();
      return;
    case 8:
      handle_guest_exit(*frame, GuestExit::sync);
      return;
    case 9:
      handle_guest_exit(*frame, GuestExit::irq);
      return;
    case 10:
      handle_guest_exit(*frame, GuestExit::fiq);
      return;
    case 11:
      handle_guest_exit(*frame, GuestExit::serror);
      return;
    default:
      break;
  }
  crash_report(*frame, vector);
}

}  // namespace aarch64

}  // namespace septum
