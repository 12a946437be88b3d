// GICv3 memory-mapped register layout (IHI 0069), shared by the physical
// driver, the virtual GIC the core emulates and the SDK's guest driver.
#pragma once

#include <cstdint>

namespace septum::gicv3 {

// Distributor.
inline constexpr uint64_t kGicdCtlr = 0x0000;
inline constexpr uint64_t kGicdTyper = 0x0004;
inline constexpr uint64_t kGicdIidr = 0x0008;
inline constexpr uint64_t kGicdTyper2 = 0x000c;
inline constexpr uint64_t kGicdStatusr = 0x0010;
inline constexpr uint64_t kGicdSgir = 0x0f00;
inline constexpr uint64_t kGicdIrouter = 0x6000;
// GICD_CTLR. With one security state (DS = 1) bits 0/1 enable groups 0/1;
// in the Non-secure view of a two-state GIC they enable groups 1/1A.
inline constexpr uint32_t kGicdCtlrEnableGrp0 = 1u << 0;
inline constexpr uint32_t kGicdCtlrEnableGrp1 = 1u << 1;
inline constexpr uint32_t kGicdCtlrAre = 1u << 4;
inline constexpr uint32_t kGicdCtlrDs = 1u << 6;
inline constexpr uint32_t kGicdCtlrRwp = 1u << 31;

// Interrupt registers, laid out alike in the distributor (SPIs) and in a
// redistributor's SGI_base frame (SGIs and PPIs).
inline constexpr uint64_t kIgroupr = 0x0080;
inline constexpr uint64_t kIsenabler = 0x0100;
inline constexpr uint64_t kIcenabler = 0x0180;
inline constexpr uint64_t kIspendr = 0x0200;
inline constexpr uint64_t kIcpendr = 0x0280;
inline constexpr uint64_t kIsactiver = 0x0300;
inline constexpr uint64_t kIcactiver = 0x0380;
inline constexpr uint64_t kIpriorityr = 0x0400;
inline constexpr uint64_t kItargetsr = 0x0800;
inline constexpr uint64_t kIcfgr = 0x0c00;
inline constexpr uint64_t kIgrpmodr = 0x0d00;

// Redistributor: RD_base, then SGI_base 64 KiB above it.
inline constexpr uint64_t kGicrCtlr = 0x0000;
inline constexpr uint64_t kGicrIidr = 0x0004;
inline constexpr uint64_t kGicrTyper = 0x0008;
inline constexpr uint64_t kGicrStatusr = 0x0010;
inline constexpr uint64_t kGicrWaker = 0x0014;
inline constexpr uint64_t kGicrSgiBase = 0x10000;
inline constexpr uint64_t kGicrFrameStride = 0x20000;      // RD_base + SGI_base
inline constexpr uint64_t kGicrFrameStrideVlpi = 0x40000;  // + VLPI_base + reserved (GICv4)
inline constexpr uint32_t kGicrCtlrRwp = 1u << 3;
inline constexpr uint64_t kGicrTyperVlpis = 1u << 1;
inline constexpr uint64_t kGicrTyperLast = 1u << 4;
inline constexpr uint32_t kGicrWakerProcessorSleep = 1u << 1;
inline constexpr uint32_t kGicrWakerChildrenAsleep = 1u << 2;

// Peripheral ID 2, in the distributor and in both redistributor frames.
inline constexpr uint64_t kPidr2 = 0xffe8;
inline constexpr uint32_t kPidr2ArchRevGicV3 = 3 << 4;

}  // namespace septum::gicv3
