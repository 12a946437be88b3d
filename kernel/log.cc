#include "kernel/log.h"

#include <atomic>

#include "kernel/arch.h"

namespace septum::log_detail {

namespace {

class ConsoleSink final : public Sink {
 public:
  void write(std::string_view text) override { arch::console_write(text); }
};

ConsoleSink console_sink;
std::atomic_flag console_lock = ATOMIC_FLAG_INIT;

}  // namespace

void lock() {
  while (console_lock.test_and_set(std::memory_order_acquire)) {
  }
}

void lock_for_crash() {
  for (unsigned i = 0; i < 10'000'000; ++i) {
    if (!console_lock.test_and_set(std::memory_order_acquire)) return;
  }
}

void unlock() { console_lock.clear(std::memory_order_release); }

Sink& console() { return console_sink; }

}  // namespace septum::log_detail
