// PSCI 1.1 (Arm DEN0022) and SMCCC 1.1 (DEN0028) function IDs and return
// codes: what the core calls in firmware, what it emulates for guests and
// what the SDK calls.
#pragma once

#include <cstdint>

namespace septum::psci {

inline constexpr uint32_t kSmcccVersion = 0x80000000;
inline constexpr uint32_t kSmcccArchFeatures = 0x80000001;
inline constexpr uint32_t kVersion = 0x84000000;
inline constexpr uint32_t kCpuSuspend32 = 0x84000001;
inline constexpr uint32_t kCpuSuspend = 0xc4000001;
inline constexpr uint32_t kCpuOff = 0x84000002;
inline constexpr uint32_t kCpuOn32 = 0x84000003;
inline constexpr uint32_t kCpuOn = 0xc4000003;
inline constexpr uint32_t kAffinityInfo32 = 0x84000004;
inline constexpr uint32_t kAffinityInfo = 0xc4000004;
inline constexpr uint32_t kMigrateInfoType = 0x84000006;
inline constexpr uint32_t kSystemOff = 0x84000008;
inline constexpr uint32_t kSystemReset = 0x84000009;
inline constexpr uint32_t kFeatures = 0x8400000a;

inline constexpr int64_t kSuccess = 0;
inline constexpr int64_t kNotSupported = -1;
inline constexpr int64_t kInvalidParameters = -2;
inline constexpr int64_t kDenied = -3;
inline constexpr int64_t kAlreadyOn = -4;
inline constexpr int64_t kOnPending = -5;
inline constexpr int64_t kInvalidAddress = -9;

// AFFINITY_INFO results.
inline constexpr int64_t kAffinityOn = 0;
inline constexpr int64_t kAffinityOff = 1;
inline constexpr int64_t kAffinityOnPending = 2;

// MIGRATE_INFO_TYPE: no Trusted OS that would need migrating.
inline constexpr int64_t kTrustedOsNotPresent = 2;

inline constexpr uint64_t kVersion1_1 = 0x10001;  // both PSCI and SMCCC

}  // namespace septum::psci
