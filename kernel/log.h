// Console output for the core: one line at a time, serialised across CPUs.
#pragma once

#include "kernel/format.h"

namespace septum {

namespace log_detail {
void lock();
// Like lock(), but gives up waiting after a while: a CPU that crashed while
// holding the lock must not silence the crash report.
void lock_for_crash();
void unlock();
Sink& console();
}  // namespace log_detail

template <class... Args>
void log(std::string_view fmt, const Args&... args) {
  log_detail::lock();
  format(log_detail::console(), fmt, args...);
  log_detail::console().write("\n");
  log_detail::unlock();
}

}  // namespace septum
