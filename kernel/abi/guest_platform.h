// The virtual platform every domain sees. The core emulates it; the boot
// tool describes it in each domain's device tree; the SDK runtime finds it
// through that device tree. One description for all three.
#pragma once

#include <cstdint>

namespace septum::abi {

inline constexpr uint32_t kMaxVcpusPerDomain = 8;

// GICv3: distributor and one redistributor (RD_base + SGI_base) per vCPU.
inline constexpr uint64_t kGuestGicdBase = 0x08000000;
inline constexpr uint64_t kGuestGicdSize = 0x10000;
inline constexpr uint64_t kGuestGicrBase = 0x080a0000;
inline constexpr uint64_t kGuestGicrStride = 0x20000;
inline constexpr uint64_t kGuestGicrSize = kGuestGicrStride * kMaxVcpusPerDomain;
inline constexpr uint32_t kGuestSpiCount = 64;  // INTIDs 32..95

// Architected timer PPIs (INTIDs), as on QEMU virt.
inline constexpr uint32_t kGuestTimerSecureIntid = 29;
inline constexpr uint32_t kGuestTimerPhysicalIntid = 30;
inline constexpr uint32_t kGuestTimerVirtualIntid = 27;
inline constexpr uint32_t kGuestTimerHypervisorIntid = 26;

// Default guest RAM base; a domain may be placed elsewhere (2 MiB aligned),
// e.g. above 1 TiB of IPA space.
inline constexpr uint64_t kGuestRamBase = 0x40000000;
inline constexpr uint64_t kGuestRamAlignment = 2 << 20;

// vCPU i has MPIDR affinity i (Aff0 = i); PSCI is reached with HVC #0.
constexpr uint64_t guest_mpidr(uint32_t vcpu) { return vcpu; }

}  // namespace septum::abi
