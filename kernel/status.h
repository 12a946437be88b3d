// Result of an operation that can fail with a human-readable reason. The core
// has no heap, so the message lives inside the object.
#pragma once

#include <string_view>

#include "kernel/format.h"

namespace septum {

class [[nodiscard]] Status final {
 public:
  static Status ok() { return Status(); }

  template <class... Args>
  static Status error(std::string_view fmt, const Args&... args) {
    Status s;
    BufferSink sink(s.message_, sizeof s.message_);
    format(sink, fmt, args...);
    s.length_ = static_cast<unsigned short>(sink.view().size());
    s.failed_ = true;
    return s;
  }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return is_ok(); }
  std::string_view message() const { return {message_, length_}; }

 private:
  Status() = default;

  char message_[160];
  unsigned short length_ = 0;
  bool failed_ = false;
};

// Returns early from the enclosing function when `expr` yields an error.
#define SEPTUM_TRY(expr)                    \
  do {                                      \
    ::septum::Status status_ = (expr);      \
    if (!status_.is_ok()) return status_;   \
  } while (0)

}  // namespace septum
