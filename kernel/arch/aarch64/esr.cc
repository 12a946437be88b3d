#include "kernel/arch/aarch64/esr.h"

namespace septum::aarch64 {

namespace {

constexpr uint32_t kEcInstructionAbortLower = 0x20;
constexpr uint32_t kEcInstructionAbortSame = 0x21;
constexpr uint32_t kEcDataAbortLower = 0x24;
constexpr uint32_t kEcDataAbortSame = 0x25;

}  // namespace

std::string_view exception_class_name(uint32_t ec) {
  switch (ec) {
    case 0x00: return "unknown reason (undefined instruction)";
    case 0x01: return "trapped WFI/WFE";
    case 0x07: return "trapped SVE/SIMD/FP access";
    case 0x0e: return "illegal execution state";
    case 0x11: return "SVC from AArch32";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "trapped MSR/MRS/system instruction";
    case 0x19: return "trapped SVE access";
    case 0x1f: return "implementation defined exception to EL3";
    case kEcInstructionAbortLower: return "instruction abort from a lower EL";
    case kEcInstructionAbortSame: return "instruction abort from the current EL";
    case 0x22: return "PC alignment fault";
    case kEcDataAbortLower: return "data abort from a lower EL";
    case kEcDataAbortSame: return "data abort from the current EL";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "trapped floating-point exception";
    case 0x2f: return "SError interrupt";
    case 0x30: return "breakpoint from a lower EL";
    case 0x31: return "breakpoint from the current EL";
    case 0x32: return "software step from a lower EL";
    case 0x33: return "software step from the current EL";
    case 0x34: return "watchpoint from a lower EL";
    case 0x35: return "watchpoint from the current EL";
    case 0x3c: return "BRK instruction";
    default: return "reserved or unrecognised exception class";
  }
}

std::string_view fault_status_name(uint32_t fsc) {
  switch (fsc) {
    case 0x00: return "address size fault, level 0";
    case 0x01: return "address size fault, level 1";
    case 0x02: return "address size fault, level 2";
    case 0x03: return "address size fault, level 3";
    case 0x04: return "translation fault, level 0";
    case 0x05: return "translation fault, level 1";
    case 0x06: return "translation fault, level 2";
    case 0x07: return "translation fault, level 3";
    case 0x09: return "access flag fault, level 1";
    case 0x0a: return "access flag fault, level 2";
    case 0x0b: return "access flag fault, level 3";
    case 0x0d: return "permission fault, level 1";
    case 0x0e: return "permission fault, level 2";
    case 0x0f: return "permission fault, level 3";
    case 0x10: return "synchronous external abort";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    default: return "other fault status";
  }
}

void describe_syndrome(Sink& sink, uint64_t esr, uint64_t far) {
  Syndrome s = decode_esr(esr);
  format(sink, "  ESR {:#010x}: EC {:#04x} {} (IL {}, ISS {:#09x})\n", esr, s.exception_class,
         exception_class_name(s.exception_class), s.il ? 1 : 0, s.iss);
  bool data = s.exception_class == kEcDataAbortLower || s.exception_class == kEcDataAbortSame;
  bool instruction = s.exception_class == kEcInstructionAbortLower || s.exception_class == kEcInstructionAbortSame;
  if (data || instruction) {
    uint32_t fsc = s.iss & 0x3f;
    bool far_valid = ((s.iss >> 10) & 1) == 0;  // FnV
    format(sink, "  {} {:#04x}: {}{}\n", data ? "DFSC" : "IFSC", fsc, fault_status_name(fsc),
           data ? (((s.iss >> 6) & 1) ? ", on a write" : ", on a read") : ", on an instruction fetch");
    if (far_valid) {
      format(sink, "  FAR {:#018x}\n", far);
    } else {
      format(sink, "  FAR not valid\n");
    }
  }
}

}  // namespace septum::aarch64
