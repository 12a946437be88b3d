// PSCI calls from EL2 to the firmware (SMC conduit; HVC would trap to us).
#pragma once

#include <cstdint>

#include "kernel/abi/psci.h"

namespace septum::aarch64 {

int64_t psci_call(uint64_t function, uint64_t arg0 = 0, uint64_t arg1 = 0, uint64_t arg2 = 0);

}  // namespace septum::aarch64
