#include "kernel/arch/aarch64/vcpu_context.h"

#include "kernel/arch/aarch64/sysreg.h"

namespace septum::aarch64 {

namespace {

constexpr uint64_t kSpsrEl1h = 0x5;
constexpr uint64_t kSpsrDaifMasked = 0xfull << 6;
// SCTLR_EL1 RES1 bits (ARMv8.0): MMU and caches off, little endian.
constexpr uint64_t kSctlrEl1Reset = 0x30d00800;
// GICv3 virtual CPU interface enabled (ICH_HCR_EL2.En).
constexpr uint64_t kIchHcrEnable = 1;
// ICH_VMCR_EL2: virtual group 1 enabled (VENG1), priority mask 0.
constexpr uint64_t kIchVmcrGroup1 = 1u << 1;

#define SEPTUM_LR_CASES(X) \
  X(0, S3_4_C12_C12_0)     \
  X(1, S3_4_C12_C12_1)     \
  X(2, S3_4_C12_C12_2)     \
  X(3, S3_4_C12_C12_3)     \
  X(4, S3_4_C12_C12_4)     \
  X(5, S3_4_C12_C12_5)     \
  X(6, S3_4_C12_C12_6)     \
  X(7, S3_4_C12_C12_7)     \
  X(8, S3_4_C12_C13_0)     \
  X(9, S3_4_C12_C13_1)     \
  X(10, S3_4_C12_C13_2)    \
  X(11, S3_4_C12_C13_3)    \
  X(12, S3_4_C12_C13_4)    \
  X(13, S3_4_C12_C13_5)    \
  X(14, S3_4_C12_C13_6)    \
  X(15, S3_4_C12_C13_7)

uint64_t read_lr(unsigned n) {
  switch (n) {
#define SEPTUM_READ_LR(i, reg) \
  case i:                      \
    return SEPTUM_READ_SYSREG(reg);
    SEPTUM_LR_CASES(SEPTUM_READ_LR)
#undef SEPTUM_READ_LR
  }
  return 0;
}

void write_lr(unsigned n, uint64_t value) {
  switch (n) {
#define SEPTUM_WRITE_LR(i, reg)     \
  case i:                           \
    SEPTUM_WRITE_SYSREG(reg, value); \
    return;
    SEPTUM_LR_CASES(SEPTUM_WRITE_LR)
#undef SEPTUM_WRITE_LR
  }
}

constinit unsigned active_priority_registers = 1;

#define SEPTUM_APR_CASES(X)                         \
  X(0, S3_4_C12_C8_0, S3_4_C12_C9_0)                \
  X(1, S3_4_C12_C8_1, S3_4_C12_C9_1)                \
  X(2, S3_4_C12_C8_2, S3_4_C12_C9_2)                \
  X(3, S3_4_C12_C8_3, S3_4_C12_C9_3)

void load_active_priorities(const GicCpuInterfaceState& g) {
  for (unsigned n = 0; n < active_priority_registers; ++n) {
    switch (n) {
#define SEPTUM_LOAD_APR(i, ap0, ap1)     \
  case i:                                \
    SEPTUM_WRITE_SYSREG(ap0, g.ap0r[i]); \
    SEPTUM_WRITE_SYSREG(ap1, g.ap1r[i]); \
    break;
      SEPTUM_APR_CASES(SEPTUM_LOAD_APR)
#undef SEPTUM_LOAD_APR
    }
  }
}

void save_active_priorities(GicCpuInterfaceState& g) {
  for (unsigned n = 0; n < active_priority_registers; ++n) {
    switch (n) {
#define SEPTUM_SAVE_APR(i, ap0, ap1)     \
  case i:                                \
    g.ap0r[i] = SEPTUM_READ_SYSREG(ap0); \
    g.ap1r[i] = SEPTUM_READ_SYSREG(ap1); \
    break;
      SEPTUM_APR_CASES(SEPTUM_SAVE_APR)
#undef SEPTUM_SAVE_APR
    }
  }
}

}  // namespace

void set_active_priority_registers(unsigned count) { active_priority_registers = count; }

void reset_context(VcpuContext& context, uint64_t entry, uint64_t x0, uint64_t mpidr) {
  context = VcpuContext{};
  context.frame.x[0] = x0;
  context.frame.elr = entry;
  context.frame.spsr = kSpsrEl1h | kSpsrDaifMasked;
  context.el1.sctlr = kSctlrEl1Reset;
  context.gic.vmcr = kIchVmcrGroup1;
  context.gic.hcr = kIchHcrEnable;
  context.vmpidr = (1ull << 31) | mpidr;  // bit 31 is RES1
}

void load_context(const VcpuContext& c) {
  const El1SystemRegisters& r = c.el1;
  SEPTUM_WRITE_SYSREG(SCTLR_EL1, r.sctlr);
  SEPTUM_WRITE_SYSREG(CPACR_EL1, r.cpacr);
  SEPTUM_WRITE_SYSREG(TTBR0_EL1, r.ttbr0);
  SEPTUM_WRITE_SYSREG(TTBR1_EL1, r.ttbr1);
  SEPTUM_WRITE_SYSREG(TCR_EL1, r.tcr);
  SEPTUM_WRITE_SYSREG(ESR_EL1, r.esr);
  SEPTUM_WRITE_SYSREG(FAR_EL1, r.far);
  SEPTUM_WRITE_SYSREG(AFSR0_EL1, r.afsr0);
  SEPTUM_WRITE_SYSREG(AFSR1_EL1, r.afsr1);
  SEPTUM_WRITE_SYSREG(MAIR_EL1, r.mair);
  SEPTUM_WRITE_SYSREG(AMAIR_EL1, r.amair);
  SEPTUM_WRITE_SYSREG(CONTEXTIDR_EL1, r.contextidr);
  SEPTUM_WRITE_SYSREG(VBAR_EL1, r.vbar);
  SEPTUM_WRITE_SYSREG(TPIDR_EL0, r.tpidr_el0);
  SEPTUM_WRITE_SYSREG(TPIDRRO_EL0, r.tpidrro_el0);
  SEPTUM_WRITE_SYSREG(TPIDR_EL1, r.tpidr_el1);
  SEPTUM_WRITE_SYSREG(SP_EL0, r.sp_el0);
  SEPTUM_WRITE_SYSREG(SP_EL1, r.sp_el1);
  SEPTUM_WRITE_SYSREG(ELR_EL1, r.elr);
  SEPTUM_WRITE_SYSREG(SPSR_EL1, r.spsr);
  SEPTUM_WRITE_SYSREG(PAR_EL1, r.par);
  SEPTUM_WRITE_SYSREG(CNTKCTL_EL1, r.cntkctl);
  SEPTUM_WRITE_SYSREG(CSSELR_EL1, r.csselr);
  SEPTUM_WRITE_SYSREG(MDSCR_EL1, r.mdscr);
  SEPTUM_WRITE_SYSREG(VMPIDR_EL2, c.vmpidr);
  SEPTUM_WRITE_SYSREG(CNTV_CVAL_EL0, c.timer.cntv_cval);
  SEPTUM_WRITE_SYSREG(CNTV_CTL_EL0, c.timer.cntv_ctl);
  SEPTUM_WRITE_SYSREG(S3_4_C12_C11_7 /* ICH_VMCR_EL2 */, c.gic.vmcr);
  load_active_priorities(c.gic);
  SEPTUM_WRITE_SYSREG(S3_4_C12_C11_0 /* ICH_HCR_EL2 */, c.gic.hcr);
  fpsimd_load(&c.fp);
  isb();
}

void save_context(VcpuContext& c) {
  El1SystemRegisters& r = c.el1;
  r.sctlr = SEPTUM_READ_SYSREG(SCTLR_EL1);
  r.cpacr = SEPTUM_READ_SYSREG(CPACR_EL1);
  r.ttbr0 = SEPTUM_READ_SYSREG(TTBR0_EL1);
  r.ttbr1 = SEPTUM_READ_SYSREG(TTBR1_EL1);
  r.tcr = SEPTUM_READ_SYSREG(TCR_EL1);
  r.esr = SEPTUM_READ_SYSREG(ESR_EL1);
  r.far = SEPTUM_READ_SYSREG(FAR_EL1);
  r.afsr0 = SEPTUM_READ_SYSREG(AFSR0_EL1);
  r.afsr1 = SEPTUM_READ_SYSREG(AFSR1_EL1);
  r.mair = SEPTUM_READ_SYSREG(MAIR_EL1);
  r.amair = SEPTUM_READ_SYSREG(AMAIR_EL1);
  r.contextidr = SEPTUM_READ_SYSREG(CONTEXTIDR_EL1);
  r.vbar = SEPTUM_READ_SYSREG(VBAR_EL1);
  r.tpidr_el0 = SEPTUM_READ_SYSREG(TPIDR_EL0);
  r.tpidrro_el0 = SEPTUM_READ_SYSREG(TPIDRRO_EL0);
  r.tpidr_el1 = SEPTUM_READ_SYSREG(TPIDR_EL1);
  r.sp_el0 = SEPTUM_READ_SYSREG(SP_EL0);
  r.sp_el1 = SEPTUM_READ_SYSREG(SP_EL1);
  r.elr = SEPTUM_READ_SYSREG(ELR_EL1);
  r.spsr = SEPTUM_READ_SYSREG(SPSR_EL1);
  r.par = SEPTUM_READ_SYSREG(PAR_EL1);
  r.cntkctl = SEPTUM_READ_SYSREG(CNTKCTL_EL1);
  r.csselr = SEPTUM_READ_SYSREG(CSSELR_EL1);
  r.mdscr = SEPTUM_READ_SYSREG(MDSCR_EL1);
  c.timer.cntv_ctl = SEPTUM_READ_SYSREG(CNTV_CTL_EL0);
  c.timer.cntv_cval = SEPTUM_READ_SYSREG(CNTV_CVAL_EL0);
  // A stopped virtual timer must not fire for the next vCPU.
  SEPTUM_WRITE_SYSREG(CNTV_CTL_EL0, 0);
  c.gic.vmcr = SEPTUM_READ_SYSREG(S3_4_C12_C11_7);
  save_active_priorities(c.gic);
  fpsimd_save(&c.fp);
}

void write_list_registers(const uint64_t* lrs, unsigned count) {
  for (unsigned n = 0; n < count; ++n) write_lr(n, lrs[n]);
}

void read_list_registers(uint64_t* lrs, unsigned count) {
  for (unsigned n = 0; n < count; ++n) lrs[n] = read_lr(n);
}

}  // namespace septum::aarch64
