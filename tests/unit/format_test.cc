#include "kernel/format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "kernel/arch/fake/arch.h"
#include "kernel/log.h"

namespace septum {
namespace {

template <class... Args>
std::string formatted(std::string_view fmt, const Args&... args) {
  char buffer[256];
  BufferSink sink(buffer, sizeof buffer);
  format(sink, fmt, args...);
  EXPECT_FALSE(sink.truncated());
  return std::string(sink.view());
}

TEST(Format, PlainTextPassesThrough) {
  EXPECT_EQ(formatted("no placeholders"), "no placeholders");
  EXPECT_EQ(formatted(""), "");
}

TEST(Format, DecimalIntegers) {
  EXPECT_EQ(formatted("{}", 0), "0");
  EXPECT_EQ(formatted("{} and {}", 42u, 7), "42 and 7");
  EXPECT_EQ(formatted("{}", std::numeric_limits<uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(formatted("{}", uint8_t{255}), "255");
}

TEST(Format, NegativeNumbers) {
  EXPECT_EQ(formatted("{}", -1), "-1");
  EXPECT_EQ(formatted("{}", int64_t{-1234567890123}), "-1234567890123");
  EXPECT_EQ(formatted("{}", std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(formatted("{:6}", -42), "   -42");
  EXPECT_EQ(formatted("{:06}", -42), "-00042");
  EXPECT_EQ(formatted("{:<6}|", -42), "-42   |");
  // Hex shows the two's-complement bit pattern, as for a register dump.
  EXPECT_EQ(formatted("{:x}", int32_t{-1}), "ffffffffffffffff");
}

TEST(Format, Hexadecimal) {
  EXPECT_EQ(formatted("{:x}", 0xdeadbeefu), "deadbeef");
  EXPECT_EQ(formatted("{:x}", 0u), "0");
  EXPECT_EQ(formatted("{:#x}", 255u), "0xff");
  EXPECT_EQ(formatted("{:#x}", 0u), "0x0");
  EXPECT_EQ(formatted("{:08x}", 0xbeefu), "0000beef");
  EXPECT_EQ(formatted("{:08x}", 0x123456789u), "123456789");
  // The width counts the "0x" prefix, and zeros go between prefix and digits.
  EXPECT_EQ(formatted("{:#010x}", 0x2au), "0x0000002a");
  EXPECT_EQ(formatted("{:#6x}", 0x2au), "  0x2a");
}

TEST(Format, Binary) {
  EXPECT_EQ(formatted("{:b}", 5u), "101");
  EXPECT_EQ(formatted("{:#b}", 5u), "0b101");
  EXPECT_EQ(formatted("{:08b}", 5u), "00000101");
}

TEST(Format, WidthAndAlignment) {
  EXPECT_EQ(formatted("[{:<6}]", 42), "[42    ]");
  EXPECT_EQ(formatted("[{:6}]", 42), "[    42]");
  EXPECT_EQ(formatted("[{:<6}]", "ab"), "[ab    ]");
  EXPECT_EQ(formatted("[{:6}]", "ab"), "[    ab]");
  EXPECT_EQ(formatted("[{:2}]", "abcdef"), "[abcdef]");
  // Widths are capped at 64 so a typo cannot flood the console.
  EXPECT_EQ(formatted("{:999}", 1).size(), 64u);
}

TEST(Format, Booleans) {
  EXPECT_EQ(formatted("{} {}", true, false), "true false");
  EXPECT_EQ(formatted("[{:<6}]", true), "[true  ]");
}

TEST(Format, Strings) {
  std::string_view view = "view";
  const char* null_string = nullptr;
  char mutable_text[] = "mutable";
  EXPECT_EQ(formatted("{} {} {}", "literal", view, mutable_text), "literal view mutable");
  EXPECT_EQ(formatted("{}", null_string), "(null)");
  EXPECT_EQ(formatted("{}", std::string_view("with\0nul", 8)), std::string("with\0nul", 8));
}

TEST(Format, Pointers) {
  const void* pointer = reinterpret_cast<const void*>(uintptr_t{0x1234});
  EXPECT_EQ(formatted("{:#x}", pointer), "0x1234");
}

TEST(Format, EscapedBraces) {
  EXPECT_EQ(formatted("{{}}"), "{}");
  EXPECT_EQ(formatted("{{{}}}", 7), "{7}");
  EXPECT_EQ(formatted("a }} b {{ c"), "a } b { c");
}

TEST(Format, MalformedFormatStringsDegradeGracefully) {
  EXPECT_EQ(formatted("stray } brace"), "stray } brace");
  EXPECT_EQ(formatted("open {", 1), "open {");
  EXPECT_EQ(formatted("open {:x", 1), "open {:x");
  EXPECT_EQ(formatted("{:q}", 12), "12");
}

TEST(Format, TooFewArgumentsAreMarked) {
  EXPECT_EQ(formatted("{} {} {}", 1), "1 {?} {?}");
  EXPECT_EQ(formatted("{:#x}"), "{?}");
}

TEST(Format, ExtraArgumentsAreIgnored) { EXPECT_EQ(formatted("{}", 1, 2, 3), "1"); }

TEST(BufferSink, TruncatesAtCapacity) {
  char buffer[8];
  BufferSink sink(buffer, sizeof buffer);
  format(sink, "{} is {:#x}", "value", 0xabcdefu);
  EXPECT_TRUE(sink.truncated());
  EXPECT_EQ(sink.view(), "value is");
}

TEST(BufferSink, ExactFitIsNotTruncated) {
  char buffer[5];
  BufferSink sink(buffer, sizeof buffer);
  sink.write("ab");
  sink.write("cde");
  EXPECT_FALSE(sink.truncated());
  EXPECT_EQ(sink.view(), "abcde");
  sink.write("");
  EXPECT_FALSE(sink.truncated());
  sink.write("f");
  EXPECT_TRUE(sink.truncated());
  EXPECT_EQ(sink.view(), "abcde");
}

TEST(BufferSink, ZeroCapacity) {
  BufferSink sink(nullptr, 0);
  format(sink, "{}", 1);
  EXPECT_TRUE(sink.truncated());
  EXPECT_EQ(sink.view(), "");
}

TEST(Log, WritesOneLineToTheConsole) {
  fake::take_console_output();
  log("cpu{} online at {:#x}", 3, 0x40000000u);
  log("done");
  EXPECT_EQ(fake::take_console_output(), "cpu3 online at 0x40000000\ndone\n");
}

}  // namespace
}  // namespace septum
