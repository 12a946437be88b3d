// EL1 exceptions: the frame the vectors save, and probes that survive a
// fault so a domain can observe how the hypervisor answers a bad access.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/format.h"

namespace septum::sdk {

// Saved by vectors.S; the layout is shared with the assembly.
struct ExceptionFrame {
  uint64_t x[31];
  uint64_t elr;
  uint64_t spsr;
  uint64_t esr;
  uint64_t far;
  uint64_t padding;  // keeps SP 16-byte aligned
};
static_assert(sizeof(ExceptionFrame) == 288);
static_assert(offsetof(ExceptionFrame, elr) == 248 && offsetof(ExceptionFrame, esr) == 264);

// Outcome of a probed access: either it completed (value for reads, x0 for
// SMC), or a synchronous exception was taken at EL1 and skipped.
struct Probe {
  bool faulted;
  uint64_t value;
  uint64_t esr;
  uint64_t far;
};

Probe probe_read32(uint64_t address);
Probe probe_read64(uint64_t address);
Probe probe_write32(uint64_t address, uint32_t value);
Probe probe_write64(uint64_t address, uint64_t value);
// SMC #0 with SMCCC function `function` (x1-x3 = 0).
Probe probe_smc(uint32_t function);

// Decodes ESR (and FAR for aborts) on one line, without a newline, e.g.
// "ESR 0x96000010 EC 0x25 (data abort, same EL) DFSC 0x10 (synchronous
// external abort) read FAR 0x50000000".
void describe_exception(Sink& sink, uint64_t esr, uint64_t far);

}  // namespace septum::sdk
