#include "kernel/arch/aarch64/esr.h"

#include <gtest/gtest.h>

#include <string>

namespace septum::aarch64 {
namespace {

// EC 0x25 (data abort, current EL), IL set, DFSC 0x04 (level 0 translation).
constexpr uint64_t kDataAbortRead = 0x96000004;
constexpr uint64_t kWnR = 1 << 6;
constexpr uint64_t kFnV = 1 << 10;

std::string describe(uint64_t esr, uint64_t far) {
  char buffer[512];
  BufferSink sink(buffer, sizeof buffer);
  describe_syndrome(sink, esr, far);
  EXPECT_FALSE(sink.truncated());
  return std::string(sink.view());
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(DecodeEsr, Fields) {
  constexpr Syndrome s = decode_esr(kDataAbortRead | kWnR);
  EXPECT_EQ(s.exception_class, 0x25u);
  EXPECT_TRUE(s.il);
  EXPECT_EQ(s.iss, 0x44u);

  // HVC #0x1234 from AArch64, with RES0 upper bits set that must be ignored.
  constexpr Syndrome hvc = decode_esr(0xffffffff00000000 | (0x16 << 26) | 0x1234);
  EXPECT_EQ(hvc.exception_class, 0x16u);
  EXPECT_FALSE(hvc.il);
  EXPECT_EQ(hvc.iss, 0x1234u);

  constexpr Syndrome all_iss = decode_esr(0x1ffffff);
  EXPECT_EQ(all_iss.exception_class, 0u);
  EXPECT_FALSE(all_iss.il);
  EXPECT_EQ(all_iss.iss, 0x1ffffffu);
}

TEST(ExceptionClassName, KnownAndUnknownClasses) {
  EXPECT_EQ(exception_class_name(0x25), "data abort from the current EL");
  EXPECT_EQ(exception_class_name(0x16), "HVC from AArch64");
  EXPECT_EQ(exception_class_name(0x00), "unknown reason (undefined instruction)");
  EXPECT_EQ(exception_class_name(0x3f), "reserved or unrecognised exception class");
}

TEST(FaultStatusName, Levels) {
  EXPECT_EQ(fault_status_name(0x04), "translation fault, level 0");
  EXPECT_EQ(fault_status_name(0x0f), "permission fault, level 3");
  EXPECT_EQ(fault_status_name(0x3f), "other fault status");
}

TEST(DescribeSyndrome, DataAbortOnARead) {
  std::string text = describe(kDataAbortRead, 0xdead0000);
  EXPECT_TRUE(contains(text, "ESR 0x96000004: EC 0x25 data abort from the current EL (IL 1, ISS 0x0000004)")) << text;
  EXPECT_TRUE(contains(text, "DFSC 0x04: translation fault, level 0, on a read\n")) << text;
  EXPECT_TRUE(contains(text, "FAR 0x00000000dead0000\n")) << text;
}

TEST(DescribeSyndrome, DataAbortOnAWrite) {
  std::string text = describe(kDataAbortRead | kWnR, 0x1000);
  EXPECT_TRUE(contains(text, "translation fault, level 0, on a write")) << text;
}

TEST(DescribeSyndrome, FarNotValid) {
  std::string text = describe(kDataAbortRead | kFnV, 0xdead0000);
  EXPECT_TRUE(contains(text, "FAR not valid")) << text;
  EXPECT_FALSE(contains(text, "dead0000")) << text;
}

TEST(DescribeSyndrome, InstructionAbort) {
  // EC 0x20 (lower EL), DFSC 0x0f.
  std::string text = describe(0x8200000f, 0x80001000);
  EXPECT_TRUE(contains(text, "instruction abort from a lower EL")) << text;
  EXPECT_TRUE(contains(text, "IFSC 0x0f: permission fault, level 3, on an instruction fetch")) << text;
  EXPECT_TRUE(contains(text, "FAR 0x0000000080001000")) << text;
}

TEST(DescribeSyndrome, OtherClassesHaveNoFaultDetails) {
  std::string text = describe(0x5a000000, 0x1234);
  EXPECT_EQ(text, "  ESR 0x5a000000: EC 0x16 HVC from AArch64 (IL 1, ISS 0x0000000)\n");
}

}  // namespace
}  // namespace septum::aarch64
