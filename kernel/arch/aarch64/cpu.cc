#include "kernel/arch/aarch64/cpu.h"

#include "kernel/arch/aarch64/descriptor.h"
#include "kernel/arch/aarch64/sysreg.h"

namespace septum::aarch64 {

namespace {

constexpr unsigned kPaBitsByRange[] = {32, 36, 40, 42, 44, 48, 52};
constexpr unsigned kMaxPaRangeField = 5;  // 48 bits: the most a 4 KiB granule walk outputs

// TCR_EL2 (E2H = 0).
constexpr uint64_t kTcrRes1 = (1ull << 31) | (1ull << 23);
constexpr uint64_t kTcrT0sz48 = 64 - 48;
constexpr uint64_t kTcrInnerWriteBack = 1ull << 8;
constexpr uint64_t kTcrOuterWriteBack = 1ull << 10;
constexpr uint64_t kTcrInnerShareable = 3ull << 12;
constexpr unsigned kTcrPsShift = 16;

// SCTLR_EL2 (E2H = 0).
constexpr uint64_t kSctlrRes1 = 0x30c50830;
constexpr uint64_t kSctlrMmu = 1ull << 0;
constexpr uint64_t kSctlrDataCache = 1ull << 2;
constexpr uint64_t kSctlrStackAlignment = 1ull << 3;
constexpr uint64_t kSctlrInstructionCache = 1ull << 12;
constexpr uint64_t kSctlrWriteExecuteNever = 1ull << 19;

}  // namespace

CpuFeatures read_cpu_features() {
  uint64_t mmfr0 = SEPTUM_READ_SYSREG(ID_AA64MMFR0_EL1);
  uint64_t mmfr1 = SEPTUM_READ_SYSREG(ID_AA64MMFR1_EL1);
  unsigned range = static_cast<unsigned>(mmfr0 & 0xf);
  unsigned pa_bits = range < sizeof kPaBitsByRange / sizeof kPaBitsByRange[0] ? kPaBitsByRange[range] : 52;
  return {pa_bits, range, ((mmfr1 >> 8) & 0xf) != 0, SEPTUM_READ_SYSREG(MIDR_EL1),
          SEPTUM_READ_SYSREG(CNTFRQ_EL0)};
}

uint64_t current_mpidr() { return SEPTUM_READ_SYSREG(MPIDR_EL1) & 0xff00ffffffull; }

void mmu_enable(uint64_t root, unsigned pa_range_field) {
  unsigned ps = pa_range_field > kMaxPaRangeField ? kMaxPaRangeField : pa_range_field;
  SEPTUM_WRITE_SYSREG(MAIR_EL2, kMairValue);
  SEPTUM_WRITE_SYSREG(TCR_EL2, kTcrRes1 | kTcrT0sz48 | kTcrInnerWriteBack | kTcrOuterWriteBack |
                                   kTcrInnerShareable | (uint64_t{ps} << kTcrPsShift));
  SEPTUM_WRITE_SYSREG(TTBR0_EL2, root);
  dsb_sy();
  isb();
  asm volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
  SEPTUM_WRITE_SYSREG(SCTLR_EL2, kSctlrRes1 | kSctlrMmu | kSctlrDataCache | kSctlrStackAlignment |
                                     kSctlrInstructionCache | kSctlrWriteExecuteNever);
  isb();
}

}  // namespace septum::aarch64
