// Small text helpers shared by mkboot's libraries.
#pragma once

#include <cstdint>
#include <string>

namespace septum::boot {

// Lower-case hexadecimal, "0x"-prefixed unless `prefix` is false (device-tree
// unit addresses have none).
inline std::string hex(uint64_t value, bool prefix = true) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return prefix ? "0x" + digits : digits;
}

}  // namespace septum::boot
