#include "kernel/arch/fake/arch.h"

#include <cstdio>
#include <cstdlib>

#include "kernel/arch.h"

namespace septum {

namespace {

uint64_t memory_base = 0;
uint64_t memory_size = 0;
char* memory_host = nullptr;
std::string console_output;

}  // namespace

void fake::set_physical_memory(uint64_t base, void* host, uint64_t size) {
  memory_base = base;
  memory_size = size;
  memory_host = static_cast<char*>(host);
}

std::string fake::take_console_output() { return std::move(console_output); }

void* arch::phys_to_virt(uint64_t pa) {
  if (pa < memory_base || pa - memory_base >= memory_size) {
    std::fprintf(stderr, "fake arch: physical address %#llx is outside the test's memory\n",
                 static_cast<unsigned long long>(pa));
    std::abort();
  }
  return memory_host + (pa - memory_base);
}

void arch::console_write(std::string_view text) { console_output.append(text); }

}  // namespace septum
