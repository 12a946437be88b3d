// libFuzzer target for mkboot's reader of the core ELF: whatever it accepts
// becomes a boot image that ends with the pack, at a 2 MiB boundary, and that
// it accepts again as a core (a second pack then goes further up).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "boot/boot_elf.h"
#include "kernel/abi/boot_pack.h"

namespace {

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

const std::vector<uint8_t> kPack = {'S', 'E', 'P', 'T', 'P', 'A', 'C', 'K'};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace septum::boot;
  BootElf boot;
  if (!build_boot_elf({data, size}, kPack, boot).is_ok()) return 0;
  check(boot.pack_address % septum::abi::kBootPackAlignment == 0);
  check(boot.bytes.size() >= kPack.size() && std::equal(kPack.begin(), kPack.end(), boot.bytes.end() - kPack.size()));
  BootElf again;
  if (build_boot_elf(boot.bytes, kPack, again).is_ok()) check(again.pack_address > boot.pack_address);
  return 0;
}
