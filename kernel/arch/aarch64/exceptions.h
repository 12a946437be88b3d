#pragma once

#include <cstddef>
#include <cstdint>

namespace septum::aarch64 {

// Saved by vectors.S; the layout is fixed by the save_frame macro of
// gpr_frame.inc.
// 16-byte aligned and exactly FRAME_SIZE: enter_guest makes a frame the
// stack pointer, and SCTLR_EL2.SA faults on a misaligned SP.
struct alignas(16) ExceptionFrame {
  uint64_t x[31];
  uint64_t elr;
  uint64_t spsr;
  uint64_t esr;
  uint64_t far;
};
static_assert(offsetof(ExceptionFrame, elr) == 248);
static_assert(offsetof(ExceptionFrame, spsr) == 256);
static_assert(offsetof(ExceptionFrame, esr) == 264);
static_assert(offsetof(ExceptionFrame, far) == 272);
static_assert(sizeof(ExceptionFrame) == 288);

// Called for every physical IRQ taken at EL2; it acknowledges the GIC itself.
using IrqHandler = void (*)();
void set_irq_handler(IrqHandler handler);

}  // namespace septum::aarch64
