// Type-checked text formatting for the core: "{}" placeholders with an
// optional spec "{:[<][#][0][width][x|b]}". No heap, no libc; the same code
// runs at EL2 and in host unit tests.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace septum {

class Sink {
 public:
  virtual void write(std::string_view text) = 0;

 protected:
  ~Sink() = default;
};

// Formats into a fixed buffer; output beyond its capacity is dropped and
// reported by truncated().
class BufferSink final : public Sink {
 public:
  BufferSink(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  void write(std::string_view text) override;
  std::string_view view() const { return {buffer_, size_}; }
  bool truncated() const { return truncated_; }

 private:
  char* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  bool truncated_ = false;
};

class FormatArg final {
 public:
  enum class Kind : uint8_t { unsigned_int, signed_int, text, boolean };

  template <std::unsigned_integral T>
  FormatArg(T value) : kind_(Kind::unsigned_int), u_(value) {}  // NOLINT: implicit by design
  template <std::signed_integral T>
  FormatArg(T value) : kind_(Kind::signed_int), i_(value) {}  // NOLINT
  FormatArg(bool value) : kind_(Kind::boolean), u_(value) {}  // NOLINT
  FormatArg(std::string_view value) : kind_(Kind::text), s_(value) {}  // NOLINT
  FormatArg(const char* value) : kind_(Kind::text), s_(value ? value : "(null)") {}  // NOLINT
  FormatArg(char* value) : FormatArg(static_cast<const char*>(value)) {}  // NOLINT
  FormatArg(const void* value)  // NOLINT
      : kind_(Kind::unsigned_int), u_(reinterpret_cast<uintptr_t>(value)) {}

  Kind kind() const { return kind_; }
  uint64_t as_unsigned() const { return u_; }
  int64_t as_signed() const { return i_; }
  std::string_view as_text() const { return s_; }

 private:
  Kind kind_;
  union {
    uint64_t u_;
    int64_t i_;
  };
  std::string_view s_;
};

void vformat(Sink& sink, std::string_view fmt, std::span<const FormatArg> args);

template <class... Args>
void format(Sink& sink, std::string_view fmt, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vformat(sink, fmt, {});
  } else {
    const FormatArg list[] = {FormatArg(args)...};
    vformat(sink, fmt, list);
  }
}

}  // namespace septum
