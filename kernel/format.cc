#include "kernel/format.h"

namespace septum {

void BufferSink::write(std::string_view text) {
  size_t room = capacity_ - size_;
  size_t n = text.size() < room ? text.size() : room;
  for (size_t i = 0; i < n; ++i) buffer_[size_ + i] = text[i];
  size_ += n;
  if (n < text.size()) truncated_ = true;
}

namespace {

struct Spec {
  bool left = false;
  bool prefix = false;
  bool zero = false;
  unsigned width = 0;
  unsigned base = 10;
};

// Parses the part after ':' in "{:...}". Unknown characters are ignored so a
// bad format string degrades the output instead of stopping the core.
Spec parse_spec(std::string_view s) {
  Spec spec;
  size_t i = 0;
  if (i < s.size() && s[i] == '<') spec.left = true, ++i;
  if (i < s.size() && s[i] == '#') spec.prefix = true, ++i;
  if (i < s.size() && s[i] == '0') spec.zero = true, ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    spec.width = spec.width * 10 + static_cast<unsigned>(s[i] - '0');
    if (spec.width > 64) spec.width = 64;
    ++i;
  }
  if (i < s.size() && s[i] == 'x') spec.base = 16;
  if (i < s.size() && s[i] == 'b') spec.base = 2;
  return spec;
}

void pad(Sink& sink, size_t count, char fill) {
  char run[16];
  for (char& c : run) c = fill;
  while (count > 0) {
    size_t n = count < sizeof run ? count : sizeof run;
    sink.write({run, n});
    count -= n;
  }
}

void emit(Sink& sink, const Spec& spec, std::string_view sign_and_prefix, std::string_view body) {
  size_t len = sign_and_prefix.size() + body.size();
  size_t fill = spec.width > len ? spec.width - len : 0;
  if (spec.left) {
    sink.write(sign_and_prefix);
    sink.write(body);
    pad(sink, fill, ' ');
  } else if (spec.zero) {
    sink.write(sign_and_prefix);
    pad(sink, fill, '0');
    sink.write(body);
  } else {
    pad(sink, fill, ' ');
    sink.write(sign_and_prefix);
    sink.write(body);
  }
}

void emit_number(Sink& sink, const Spec& spec, uint64_t magnitude, bool negative) {
  char digits[64];
  size_t n = 0;
  do {
    unsigned d = static_cast<unsigned>(magnitude % spec.base);
    digits[sizeof digits - 1 - n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    magnitude /= spec.base;
  } while (magnitude != 0);
  std::string_view prefix;
  if (negative) {
    prefix = "-";
  } else if (spec.prefix) {
    prefix = spec.base == 16 ? "0x" : spec.base == 2 ? "0b" : "";
  }
  emit(sink, spec, prefix, {digits + sizeof digits - n, n});
}

void emit_arg(Sink& sink, const Spec& spec, const FormatArg& arg) {
  switch (arg.kind()) {
    case FormatArg::Kind::unsigned_int:
      emit_number(sink, spec, arg.as_unsigned(), false);
      break;
    case FormatArg::Kind::signed_int: {
      int64_t v = arg.as_signed();
      bool negative = v < 0 && spec.base == 10;
      uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      emit_number(sink, spec, magnitude, negative);
      break;
    }
    case FormatArg::Kind::boolean:
      emit(sink, spec, "", arg.as_unsigned() ? "true" : "false");
      break;
    case FormatArg::Kind::text:
      emit(sink, spec, "", arg.as_text());
      break;
  }
}

}  // namespace

void vformat(Sink& sink, std::string_view fmt, std::span<const FormatArg> args) {
  size_t next_arg = 0;
  size_t i = 0;
  while (i < fmt.size()) {
    size_t open = fmt.find_first_of("{}", i);
    if (open == std::string_view::npos) {
      sink.write(fmt.substr(i));
      return;
    }
    sink.write(fmt.substr(i, open - i));
    if (open + 1 < fmt.size() && fmt[open + 1] == fmt[open]) {  // "{{" or "}}"
      sink.write(fmt.substr(open, 1));
      i = open + 2;
      continue;
    }
    if (fmt[open] == '}') {  // stray '}'
      sink.write("}");
      i = open + 1;
      continue;
    }
    size_t close = fmt.find('}', open);
    if (close == std::string_view::npos) {
      sink.write(fmt.substr(open));
      return;
    }
    std::string_view inner = fmt.substr(open + 1, close - open - 1);
    Spec spec = parse_spec(inner.starts_with(':') ? inner.substr(1) : std::string_view{});
    if (next_arg < args.size()) {
      emit_arg(sink, spec, args[next_arg++]);
    } else {
      sink.write("{?}");
    }
    i = close + 1;
  }
}

}  // namespace septum
