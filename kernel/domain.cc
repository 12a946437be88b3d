#include "kernel/domain.h"

namespace septum {

uint64_t Domain::ram_pa(uint64_t ipa) const {
  for (size_t i = 0; i < chunk_count; ++i) {
    const MemoryChunk& c = chunks[i];
    if (ipa >= c.ipa && ipa - c.ipa < c.size) return c.pa + (ipa - c.ipa);
  }
  return 0;
}

}  // namespace septum
