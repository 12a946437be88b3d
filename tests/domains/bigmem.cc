// bigmem: reports its memory and touches one word every 2 MiB across all of
// it (read, write a pattern, read back, restore), skipping its own image.
#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/sysreg.h"

using namespace septum::sdk;

namespace {

constexpr uint64_t kStride = 2 << 20;

}  // namespace

void domain_main() {
  const septum::Platform& p = platform();
  uint64_t total = 0;
  for (size_t i = 0; i < p.memory_count; ++i) total += p.memory[i].size;
  print("bigmem: {} MiB in {} bank(s), image at {:#x}\n", total >> 20, p.memory_count, image_base());
  uint64_t mismatches = 0;
  for (size_t i = 0; i < p.memory_count; ++i) {
    const septum::Range& bank = p.memory[i];
    uint64_t words = 0;
    for (uint64_t address = (bank.base + kStride - 1) & ~(kStride - 1); address + 8 <= bank.end(); address += kStride) {
      if (address >= image_base() && address < image_end()) continue;
      uint64_t original = mmio_read<uint64_t>(address);
      uint64_t pattern = ~address ^ 0x5e97'0000'0000'0000ull;
      mmio_write<uint64_t>(address, pattern);
      if (mmio_read<uint64_t>(address) != pattern) ++mismatches;
      mmio_write<uint64_t>(address, original);
      ++words;
    }
    print("bigmem: touched {} MiB at {:#x} ({} words)\n", bank.size >> 20, bank.base, words);
  }
  if (mismatches == 0) {
    print("bigmem: every word read back as written\n");
  } else {
    print("bigmem: FAILED: {} words read back wrong\n", mismatches);
  }
}
