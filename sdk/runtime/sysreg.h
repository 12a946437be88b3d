// System-register and barrier helpers for EL1 code.
#pragma once

#include <cstdint>

#include "kernel/arch/aarch64/sysreg.h"

namespace septum::sdk {

// Barriers, WFI, IRQ masking and MMIO are the same at EL1 as at EL2.
using aarch64::dsb_sy;
using aarch64::irq_disable;
using aarch64::irq_enable;
using aarch64::isb;
using aarch64::mmio_read;
using aarch64::mmio_write;
using aarch64::wfi;

inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
inline bool irq_enabled() { return (SEPTUM_READ_SYSREG(daif) & (1u << 7)) == 0; }

// Affinity fields of MPIDR_EL1 (Aff3, Aff2, Aff1, Aff0), as device trees list them.
inline uint64_t read_mpidr() { return SEPTUM_READ_SYSREG(mpidr_el1) & 0xff00ffffffull; }

}  // namespace septum::sdk
