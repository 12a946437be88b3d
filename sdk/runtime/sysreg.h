// System-register and barrier helpers for EL1 code.
#pragma once

#include <cstdint>

#define SEPTUM_SDK_READ_SYSREG(name)               \
  ({                                               \
    uint64_t value_;                               \
    asm volatile("mrs %0, " #name : "=r"(value_)); \
    value_;                                        \
  })

#define SEPTUM_SDK_WRITE_SYSREG(name, value) \
  asm volatile("msr " #name ", %0" ::"r"(static_cast<uint64_t>(value)) : "memory")

namespace septum::sdk {

inline void isb() { asm volatile("isb" ::: "memory"); }
inline void dsb_sy() { asm volatile("dsb sy" ::: "memory"); }
inline void wait_for_interrupt() { asm volatile("wfi" ::: "memory"); }
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

inline void irq_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void irq_disable() { asm volatile("msr daifset, #2" ::: "memory"); }
inline bool irq_enabled() { return (SEPTUM_SDK_READ_SYSREG(daif) & (1u << 7)) == 0; }

// Affinity fields of MPIDR_EL1 (Aff3, Aff2, Aff1, Aff0), as device trees list them.
inline uint64_t read_mpidr() { return SEPTUM_SDK_READ_SYSREG(mpidr_el1) & 0xff00ffffffull; }

template <class T>
inline T mmio_read(uint64_t address) {
  return *reinterpret_cast<volatile T*>(address);
}

template <class T>
inline void mmio_write(uint64_t address, T value) {
  *reinterpret_cast<volatile T*>(address) = value;
}

}  // namespace septum::sdk
