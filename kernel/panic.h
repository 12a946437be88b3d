// Ending the whole system. The last console line is always
// "septum: system off, status N" so a harness on the serial port can tell a
// clean power-off (0) from a failure.
#pragma once

#include "kernel/log.h"

namespace septum {

enum class ExitStatus : unsigned { ok = 0, crash = 1, boot_error = 2 };

[[noreturn]] void system_off(ExitStatus status);

template <class... Args>
[[noreturn]] void panic(std::string_view fmt, const Args&... args) {
  log_detail::lock();
  log_detail::console().write("septum: PANIC: ");
  format(log_detail::console(), fmt, args...);
  log_detail::console().write("\n");
  log_detail::unlock();
  system_off(ExitStatus::crash);
}

}  // namespace septum
