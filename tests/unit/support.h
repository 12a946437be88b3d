// Helpers shared by the unit tests: the compiled test device trees and host
// memory standing in for physical memory on the fake architecture.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "kernel/status.h"

namespace septum::test {

// The blob compiled from tests/unit/testdata/<name>.dts, read from the
// test's runfiles. Throws if it cannot be read.
std::vector<uint8_t> read_device_tree(std::string_view name);

// Success when `status` is an error whose message contains `culprit`.
::testing::AssertionResult FailsMentioning(const Status& status, std::string_view culprit);

// Host memory registered with the fake arch as physical [base, base + size),
// aligned to 2 MiB so that physical and host alignment agree for every block
// size below 1 GiB.
class PhysicalMemory final {
 public:
  static constexpr uint64_t kAlignment = uint64_t{2} << 20;

  PhysicalMemory(uint64_t base, uint64_t size);
  ~PhysicalMemory();
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  uint64_t base_;
  uint64_t size_;
  void* host_;
};

}  // namespace septum::test
