// The boot image: the core's ELF with the boot pack as one more read-only
// PT_LOAD segment at the first 2 MiB boundary after the core's last byte,
// where the core looks for it. QEMU (-kernel) and other ELF loaders place it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernel/status.h"

namespace septum::boot {

struct BootElf {
  std::vector<uint8_t> bytes;
  uint64_t pack_address;
};

// Keeps the core's PT_LOAD segments, addresses and entry point unchanged;
// other program headers and the section headers are dropped (a loader needs
// none of them). Rejects anything but a 64-bit little-endian AArch64
// executable whose segments lie inside the file.
Status build_boot_elf(std::span<const uint8_t> core_elf, std::span<const uint8_t> pack, BootElf& out);

}  // namespace septum::boot
