#include "kernel/arch/aarch64/pl011.h"

#include "kernel/arch/aarch64/sysreg.h"

namespace septum::aarch64 {

namespace {

constexpr uint64_t kDataRegister = 0x00;
constexpr uint64_t kFlagRegister = 0x18;
constexpr uint32_t kTransmitFifoFull = 1u << 5;

constinit uint64_t uart_base = kEarlyUartBase;

void put(char c) {
  while (mmio_read<uint32_t>(uart_base + kFlagRegister) & kTransmitFifoFull) {
  }
  mmio_write<uint32_t>(uart_base + kDataRegister, static_cast<uint8_t>(c));
}

}  // namespace

void pl011_set_base(uint64_t base) { uart_base = base; }

void pl011_write(std::string_view text) {
  for (char c : text) {
    if (c == '\n') put('\r');
    put(c);
  }
}

}  // namespace septum::aarch64
