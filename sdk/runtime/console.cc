#include "sdk/runtime/console.h"

#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/spinlock.h"
#include "sdk/runtime/sysreg.h"

namespace septum::sdk {

namespace {

// PL011 / SBSA generic UART registers (32-bit accesses only on SBSA).
constexpr uint64_t kUartData = 0x00;
constexpr uint64_t kUartFlags = 0x18;
constexpr uint32_t kTransmitFifoFull = 1u << 5;

constinit uint64_t uart_base = 0;
constinit Spinlock console_lock;

void write_unlocked(std::string_view text) {
  if (uart_base == 0) {
    xen::console_write(text);
    return;
  }
  for (char c : text) {
    while (mmio_read<uint32_t>(uart_base + kUartFlags) & kTransmitFifoFull) cpu_relax();
    mmio_write<uint32_t>(uart_base + kUartData, static_cast<uint8_t>(c));
  }
}

// Collects a message so console_io sees few, large writes.
class ConsoleSink final : public Sink {
 public:
  void write(std::string_view text) override {
    while (!text.empty()) {
      if (size_ == sizeof buffer_) flush();
      size_t n = text.size() < sizeof buffer_ - size_ ? text.size() : sizeof buffer_ - size_;
      for (size_t i = 0; i < n; ++i) buffer_[size_ + i] = text[i];
      size_ += n;
      text.remove_prefix(n);
    }
  }
  void flush() {
    write_unlocked({buffer_, size_});
    size_ = 0;
  }

 private:
  char buffer_[256];
  size_t size_ = 0;
};

// A crash report must get out even if this vCPU faulted while printing.
class ConsoleLock final {
 public:
  ConsoleLock() : taken_(!console_lock.held_by_this_vcpu()) {
    if (taken_) console_lock.lock();
  }
  ~ConsoleLock() {
    if (taken_) console_lock.unlock();
  }

 private:
  bool taken_;
};

}  // namespace

void console_use_uart(uint64_t base) { uart_base = base; }

void console_write(std::string_view text) {
  ConsoleLock lock;
  write_unlocked(text);
}

void vprint(std::string_view fmt, std::span<const FormatArg> args) {
  ConsoleLock lock;
  ConsoleSink sink;
  vformat(sink, fmt, args);
  sink.flush();
}

}  // namespace septum::sdk
