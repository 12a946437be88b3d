// Per-CPU state and the CPU features the core reports and depends on.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/platform.h"

namespace septum::aarch64 {

struct PerCpu {
  uint64_t stack_top = 0;  // read by secondary_entry in start.S: keep first
  uint32_t index = 0;
  uint64_t mpidr = 0;
  uint64_t redistributor = 0;
  std::atomic<bool> online;
  std::atomic<uint32_t> timer_interrupts;
  std::atomic<bool> timer_done;
};
static_assert(__builtin_offsetof(PerCpu, stack_top) == 0);

struct CpuFeatures {
  unsigned pa_bits;
  unsigned pa_range_field;  // ID_AA64MMFR0_EL1.PARange
  bool vhe;
  uint64_t midr;
  uint64_t counter_hz;
};

CpuFeatures read_cpu_features();
uint64_t current_mpidr();  // affinity fields only

// Turns on the EL2 MMU with the identity map at `root` and caches on.
void mmu_enable(uint64_t root, unsigned pa_range_field);

}  // namespace septum::aarch64
