// Host "fake" architecture for unit tests: physical memory is a host buffer
// registered by the test, and console output is captured in a string.
#pragma once

#include <cstdint>
#include <string>

namespace septum::fake {

// Makes physical [base, base+size) reachable at `host`. One region at a time.
void set_physical_memory(uint64_t base, void* host, uint64_t size);
std::string take_console_output();

}  // namespace septum::fake
