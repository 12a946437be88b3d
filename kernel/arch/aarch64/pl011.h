// PL011 UART transmit path: the core's early and panic console.
#pragma once

#include <cstdint>
#include <string_view>

namespace septum::aarch64 {

// QEMU virt's UART, used before the device tree is read (and if it is corrupt).
inline constexpr uint64_t kEarlyUartBase = 0x09000000;

void pl011_set_base(uint64_t base);
void pl011_write(std::string_view text);

}  // namespace septum::aarch64
