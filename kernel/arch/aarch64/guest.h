// Domains on AArch64: creation from the boot pack, the per-CPU run loop,
// and the handling of everything a guest traps into the core for.
#pragma once

#include <cstdint>

#include "kernel/arch/aarch64/cpu.h"
#include "kernel/arch/aarch64/exceptions.h"
#include "kernel/arch/aarch64/gic_v3.h"
#include "kernel/page_allocator.h"
#include "kernel/platform.h"
#include "kernel/status.h"

namespace septum {
class BootPack;
}

namespace septum::aarch64 {

struct GuestEnvironment {
  const Platform* platform;
  PageAllocator* allocator;
  GicV3* gic;
  PerCpu* cpus;
  CpuFeatures features;
  unsigned list_registers;
};

// Builds every domain of the pack (memory, stage 2, image, device tree,
// vCPU 0 ready to run). Stops at the first domain it cannot build.
Status create_boot_domains(const GuestEnvironment& environment, const BootPack& pack);

// The calling CPU runs its share of vCPUs from now on.
[[noreturn]] void run_guests(PerCpu& cpu);

// Physical interrupts while the core owns the CPU (idle).
void handle_el2_irq();

enum class GuestExit : uint8_t { sync, irq, fiq, serror };
// Entered from the vectors for every exception from EL1/EL0.
void handle_guest_exit(ExceptionFrame& frame, GuestExit kind);

}  // namespace septum::aarch64
