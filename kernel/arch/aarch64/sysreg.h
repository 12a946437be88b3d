// System register and barrier helpers.
#pragma once

#include <cstdint>

#define SEPTUM_READ_SYSREG(name)                         \
  ({                                                     \
    uint64_t value_;                                     \
    asm volatile("mrs %0, " #name : "=r"(value_));       \
    value_;                                              \
  })

#define SEPTUM_WRITE_SYSREG(name, value) \
  asm volatile("msr " #name ", %0" ::"r"(static_cast<uint64_t>(value)) : "memory")

namespace septum::aarch64 {

inline void isb() { asm volatile("isb" ::: "memory"); }
inline void dsb_sy() { asm volatile("dsb sy" ::: "memory"); }
inline void dsb_ish() { asm volatile("dsb ish" ::: "memory"); }
inline void wfi() { asm volatile("wfi" ::: "memory"); }
inline void irq_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void irq_disable() { asm volatile("msr daifset, #2" ::: "memory"); }

// Writes back [address, address+size) to the point of coherency so that a
// CPU running with its MMU and caches off sees it.
inline void clean_dcache_to_poc(const void* address, uint64_t size) {
  uint64_t ctr = SEPTUM_READ_SYSREG(CTR_EL0);
  uint64_t line = 4ull << ((ctr >> 16) & 0xf);
  uint64_t start = reinterpret_cast<uint64_t>(address) & ~(line - 1);
  for (uint64_t a = start; a < reinterpret_cast<uint64_t>(address) + size; a += line) {
    asm volatile("dc cvac, %0" ::"r"(a) : "memory");
  }
  dsb_sy();
}

template <class T>
inline T mmio_read(uint64_t address) {
  return *reinterpret_cast<volatile T*>(address);
}

template <class T>
inline void mmio_write(uint64_t address, T value) {
  *reinterpret_cast<volatile T*>(address) = value;
}

}  // namespace septum::aarch64
