// Decoding of ESR_ELx exception syndromes for crash reports.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/format.h"

namespace septum::aarch64 {

struct Syndrome {
  uint32_t exception_class;  // ESR[31:26]
  bool il;                   // 32-bit instruction
  uint32_t iss;              // ESR[24:0]
};

constexpr Syndrome decode_esr(uint64_t esr) {
  return {static_cast<uint32_t>((esr >> 26) & 0x3f), ((esr >> 25) & 1) != 0, static_cast<uint32_t>(esr & 0x1ffffff)};
}

std::string_view exception_class_name(uint32_t exception_class);
// Fault status code (DFSC/IFSC) of an abort, e.g. "translation fault, level 1".
std::string_view fault_status_name(uint32_t fsc);

// Writes the human-readable decode of `esr` (and FAR where it is meaningful):
// class name, and for aborts the fault status, access direction and level.
void describe_syndrome(Sink& sink, uint64_t esr, uint64_t far);

}  // namespace septum::aarch64
