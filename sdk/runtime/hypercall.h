// Xen-on-Arm hypercalls (HVC #0xEA1, x16 = number, arguments x0-x4, result
// x0) and the SMCCC/PSCI calls a domain makes with HVC #0. Pointer arguments
// are guest virtual addresses; the runtime keeps the MMU off, so they are IPAs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace septum::sdk {

namespace xen {

// Hypercall numbers (xen/include/public/xen.h).
inline constexpr uint64_t kXenVersion = 17;
inline constexpr uint64_t kConsoleIo = 18;
inline constexpr uint64_t kSchedOp = 29;

// Xen errno values as returned (negated) in x0.
inline constexpr int64_t kEperm = -1;
inline constexpr int64_t kEnosys = -38;

// The hypervisor may clobber x16 and the argument registers; the rest of the
// AAPCS64 callee state survives.
inline int64_t hypercall(uint64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                         uint64_t a4 = 0) {
  register uint64_t x0 asm("x0") = a0;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  register uint64_t x4 asm("x4") = a4;
  register uint64_t x16 asm("x16") = number;
  asm volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x16) : : "memory");
  return static_cast<int64_t>(x0);
}

// xen_version subcommands.
inline constexpr uint64_t kXenVersionVersion = 0;  // returns (major << 16) | minor
inline constexpr uint64_t kXenVersionGetFeatures = 6;

struct FeatureInfo {
  uint32_t submap_index;  // IN
  uint32_t submap;        // OUT: 32 feature bits
};
static_assert(sizeof(FeatureInfo) == 8 && offsetof(FeatureInfo, submap) == 4);

inline int64_t xen_version() { return hypercall(kXenVersion, kXenVersionVersion); }

// Feature bits submap_index*32 .. +31, or the negative error.
inline int64_t xen_features(uint32_t submap_index) {
  FeatureInfo info{submap_index, 0};
  int64_t rc = hypercall(kXenVersion, kXenVersionGetFeatures, reinterpret_cast<uint64_t>(&info));
  return rc < 0 ? rc : info.submap;
}

inline constexpr uint64_t kConsoleIoWrite = 0;

// Release builds of Xen refuse this from a domU with -EPERM.
inline int64_t console_write(std::string_view text) {
  return hypercall(kConsoleIo, kConsoleIoWrite, text.size(), reinterpret_cast<uint64_t>(text.data()));
}

// sched_op subcommands and shutdown reasons (xen/include/public/sched.h).
inline constexpr uint64_t kSchedYield = 0;
inline constexpr uint64_t kSchedBlock = 1;
inline constexpr uint64_t kSchedShutdown = 2;

enum class ShutdownReason : uint32_t { poweroff = 0, reboot = 1, suspend = 2, crash = 3, watchdog = 4 };

struct SchedShutdown {
  ShutdownReason reason;
};
static_assert(sizeof(SchedShutdown) == 4);

inline int64_t sched_yield() { return hypercall(kSchedOp, kSchedYield); }
// Blocks until an event channel is pending; without event channels it returns
// on the next interrupt, like WFI.
inline int64_t sched_block() { return hypercall(kSchedOp, kSchedBlock); }
inline int64_t sched_shutdown(ShutdownReason reason) {
  SchedShutdown arg{reason};
  return hypercall(kSchedOp, kSchedShutdown, reinterpret_cast<uint64_t>(&arg));
}

}  // namespace xen

namespace psci {

// SMCCC function IDs (Arm DEN0022 PSCI, DEN0028 SMCCC).
inline constexpr uint32_t kSmcccVersion = 0x80000000;
inline constexpr uint32_t kVersion = 0x84000000;
inline constexpr uint32_t kCpuOff = 0x84000002;
inline constexpr uint32_t kCpuOn = 0xc4000003;
inline constexpr uint32_t kAffinityInfo = 0xc4000004;
inline constexpr uint32_t kSystemOff = 0x84000008;
inline constexpr uint32_t kFeatures = 0x8400000a;

inline constexpr int64_t kSuccess = 0;
inline constexpr int64_t kNotSupported = -1;
inline constexpr int64_t kInvalidParameters = -2;
inline constexpr int64_t kDenied = -3;
inline constexpr int64_t kAlreadyOn = -4;

// AFFINITY_INFO results.
inline constexpr int64_t kAffinityOn = 0;
inline constexpr int64_t kAffinityOff = 1;
inline constexpr int64_t kAffinityOnPending = 2;

// SMCCC call through HVC #0: function ID in w0, arguments x1-x3, result x0.
// x4-x17 are declared clobbered so SMCCC 1.0 hypervisors are safe too.
inline int64_t hvc_call(uint32_t function, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  register uint64_t x0 asm("x0") = function;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  asm volatile("hvc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
  return static_cast<int64_t>(x0);
}

// The same call through SMC #0, which a hypervisor traps (HCR_EL2.TSC).
inline int64_t smc_call(uint32_t function, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  register uint64_t x0 asm("x0") = function;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  asm volatile("smc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
  return static_cast<int64_t>(x0);
}

inline int64_t version() { return hvc_call(kVersion); }
inline int64_t features(uint32_t function) { return hvc_call(kFeatures, function); }
// Starts the vCPU with MPIDR `mpidr` at IPA `entry` (EL1h, MMU off) with x0 = context.
inline int64_t cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context) {
  return hvc_call(kCpuOn, mpidr, entry, context);
}
inline int64_t affinity_info(uint64_t mpidr) { return hvc_call(kAffinityInfo, mpidr, 0); }
// Returns only on failure.
inline int64_t cpu_off() { return hvc_call(kCpuOff); }
// Powers off the calling domain; returns only on failure.
inline int64_t system_off() { return hvc_call(kSystemOff); }

}  // namespace psci

}  // namespace septum::sdk
