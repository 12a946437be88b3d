// The boundary between the portable core and an architecture port. Generic
// code calls only these; kernel/arch/aarch64 implements them for the real
// machine and kernel/arch/fake for host unit tests (as in Hafnium).
#pragma once

#include <cstdint>
#include <string_view>

namespace septum::arch {

// Where the core reaches physical address `pa` (the identity at EL2).
void* phys_to_virt(uint64_t pa);

// Writes to the debug console; callers serialise.
void console_write(std::string_view text);

}  // namespace septum::arch
