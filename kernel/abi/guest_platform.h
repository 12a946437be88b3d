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

// The Xen-compatible interface (kernel/abi/xen.h), described to every domain
// by the /hypervisor node of its device tree, at the addresses libxl gives a
// Xen-on-Arm guest (public/arch-arm.h), so Linux sees what it sees on Xen:
// - the grant-table window, where the core maps grant-table frames when the
//   guest asks (XENMEM_add_to_physmap, XENMAPSPACE_grant_table); 4096 frames;
// - the magic pages the core populates before the domain starts and names
//   in HVM params: the PV console ring (HVM_PARAM_CONSOLE_PFN) and the
//   xenstore ring (HVM_PARAM_STORE_PFN). Not RAM in the device tree;
// - the PPI that signals pending event channels (the upcall).
// A domain's RAM must not overlap either window.
inline constexpr uint64_t kGuestGrantTableBase = 0x38000000;
inline constexpr uint64_t kGuestGrantTableSize = 0x01000000;
inline constexpr uint64_t kGuestMagicBase = 0x39000000;
inline constexpr uint64_t kGuestMagicSize = 0x01000000;
inline constexpr uint64_t kGuestConsoleRingIpa = kGuestMagicBase + 0x0000;
inline constexpr uint64_t kGuestXenstoreRingIpa = kGuestMagicBase + 0x1000;
inline constexpr uint32_t kGuestEventChannelIntid = 31;

// Default guest RAM base; a domain may be placed elsewhere (2 MiB aligned),
// e.g. above 1 TiB of IPA space.
inline constexpr uint64_t kGuestRamBase = 0x40000000;
inline constexpr uint64_t kGuestRamAlignment = 2 << 20;

// vCPU i has MPIDR affinity i (Aff0 = i); PSCI is reached with HVC #0.
constexpr uint64_t guest_mpidr(uint32_t vcpu) { return vcpu; }

}  // namespace septum::abi
