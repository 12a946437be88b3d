// The domain console: the device tree's SBSA UART / PL011 when there is one
// (Xen's vpl011; release builds of Xen refuse console_io from a domU), else
// the Xen console_io hypercall. Output of concurrent vCPUs is serialised.
#pragma once

#include <span>
#include <string_view>

#include "kernel/format.h"

namespace septum::sdk {

// Selects the UART at `base` (0 = use console_io).
void console_use_uart(uint64_t base);
void console_write(std::string_view text);

void vprint(std::string_view fmt, std::span<const FormatArg> args);

// "{}" formatting (kernel/format.h); the whole message is written at once.
template <class... Args>
void print(std::string_view fmt, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vprint(fmt, {});
  } else {
    const FormatArg list[] = {FormatArg(args)...};
    vprint(fmt, list);
  }
}

}  // namespace septum::sdk
