// PSCI calls from EL2 to the firmware (SMC conduit; HVC would trap to us).
#pragma once

#include <cstdint>

namespace septum::aarch64 {

inline constexpr uint32_t kPsciVersion = 0x84000000;
inline constexpr uint32_t kPsciCpuOn = 0xc4000003;
inline constexpr uint32_t kPsciSystemOff = 0x84000008;

inline constexpr int64_t kPsciSuccess = 0;
inline constexpr int64_t kPsciAlreadyOn = -4;

int64_t psci_call(uint64_t function, uint64_t arg0 = 0, uint64_t arg1 = 0, uint64_t arg2 = 0);

}  // namespace septum::aarch64
