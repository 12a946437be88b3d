// VMSAv8-64 translation table descriptors, 4 KiB granule. Pure bit layout, no
// instructions, so the page-table builder that uses it also runs on the host.
#pragma once

#include <cstdint>

namespace septum::aarch64 {

inline constexpr unsigned kGranuleShift = 12;
inline constexpr unsigned kEntriesPerTable = 512;
inline constexpr unsigned kLevels = 4;  // levels 0..3: 48-bit input addresses
inline constexpr unsigned kFirstBlockLevel = 1;  // 1 GiB blocks; level 0 cannot be a block

inline constexpr uint64_t kValid = 1ull << 0;
inline constexpr uint64_t kTableOrPage = 1ull << 1;  // table at levels 0-2, page at level 3
inline constexpr uint64_t kOutputAddressMask = 0x0000fffffffff000ull;

// EL2 (non-VHE) stage-1 leaf attributes.
inline constexpr unsigned kAttrIndexShift = 2;
inline constexpr uint64_t kApReadOnly = 1ull << 7;   // AP[2]
inline constexpr uint64_t kApRes1 = 1ull << 6;       // AP[1] is RES1 in the EL2 regime
inline constexpr uint64_t kInnerShareable = 3ull << 8;
inline constexpr uint64_t kAccessFlag = 1ull << 10;
inline constexpr uint64_t kExecuteNever = 1ull << 54;

// Stage-2 leaf attributes (the guest's IPA -> PA translation).
inline constexpr unsigned kS2MemAttrShift = 2;
inline constexpr uint64_t kS2MemAttrDevice = 0x1;         // Device-nGnRE
inline constexpr uint64_t kS2MemAttrNormalWriteBack = 0xf;  // outer and inner write-back
inline constexpr uint64_t kS2ApRead = 1ull << 6;
inline constexpr uint64_t kS2ApWrite = 1ull << 7;

// MAIR_EL2 slots the core programs; AttrIndx selects one.
inline constexpr unsigned kMairDeviceIndex = 0;  // Device-nGnRE
inline constexpr unsigned kMairNormalIndex = 1;  // Normal, inner/outer write-back
inline constexpr uint64_t kMairValue = (0x04ull << (8 * kMairDeviceIndex)) | (0xffull << (8 * kMairNormalIndex));

constexpr unsigned level_shift(unsigned level) { return kGranuleShift + 9 * (kLevels - 1 - level); }

}  // namespace septum::aarch64
