#include "kernel/arch/aarch64/psci.h"

namespace septum::aarch64 {

int64_t psci_call(uint64_t function, uint64_t arg0, uint64_t arg1, uint64_t arg2) {
  register uint64_t x0 asm("x0") = function;
  register uint64_t x1 asm("x1") = arg0;
  register uint64_t x2 asm("x2") = arg1;
  register uint64_t x3 asm("x3") = arg2;
  asm volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return static_cast<int64_t>(x0);
}

}  // namespace septum::aarch64
