// The complete EL1 state of a vCPU that the core switches: general-purpose
// registers (in the exception-frame layout vectors.S uses), EL1 system
// registers, the virtual timer, FP/SIMD and the GIC virtual CPU interface.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/arch/aarch64/exceptions.h"

namespace septum::aarch64 {

inline constexpr unsigned kMaxListRegisters = 16;

struct FpSimdState {
  __uint128_t q[32];
  uint64_t fpsr;
  uint64_t fpcr;
};
static_assert(sizeof(FpSimdState) == 32 * 16 + 16);
static_assert(offsetof(FpSimdState, fpsr) == 512);  // fpsimd.S relies on it

struct El1SystemRegisters {
  uint64_t sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, esr, far, afsr0, afsr1, mair, amair, contextidr, vbar;
  uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr, spsr, par, cntkctl, csselr, mdscr;
};

struct TimerState {
  uint64_t cntv_ctl;
  uint64_t cntv_cval;
};

// The list registers are not part of it: the vGIC folds them back into its
// own state on every exit and refills them on every entry.
struct GicCpuInterfaceState {
  uint64_t vmcr;
  uint64_t ap0r[4];  // active priorities; how many exist depends on ICH_VTR_EL2.PREbits
  uint64_t ap1r[4];
  uint64_t hcr;
};

struct VcpuContext {
  ExceptionFrame frame;  // x0-x30, guest PC (elr) and PSTATE (spsr)
  El1SystemRegisters el1;
  TimerState timer;
  GicCpuInterfaceState gic;
  FpSimdState fp;
  uint64_t vmpidr;
};

// Reset state for a vCPU entering at `entry` in EL1h with the MMU and
// caches off and all exceptions masked, x0 = `x0` (booting.rst, PSCI CPU_ON).
void reset_context(VcpuContext& context, uint64_t entry, uint64_t x0, uint64_t mpidr);

// How many ICH_AP0R<n>/AP1R<n> registers this CPU has (1, 2 or 4); set once at boot.
void set_active_priority_registers(unsigned count);

// Loads/saves the live registers of this physical CPU from/to `context`
// (everything but `frame`, which lives on the exception stack while the
// vCPU runs, and the list registers).
void load_context(const VcpuContext& context);
void save_context(VcpuContext& context);

// The list registers alone, for the vGIC's sync/flush around guest entry.
void read_list_registers(uint64_t* lrs, unsigned count);
void write_list_registers(const uint64_t* lrs, unsigned count);

extern "C" void fpsimd_save(FpSimdState* state);
extern "C" void fpsimd_load(const FpSimdState* state);

}  // namespace septum::aarch64
