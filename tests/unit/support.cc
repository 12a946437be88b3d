#include "tests/unit/support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>

#include "kernel/arch/fake/arch.h"

namespace septum::test {

std::vector<uint8_t> read_device_tree(std::string_view name) {
  // A Bazel test runs in its workspace runfiles root.
  std::string path = "tests/unit/testdata/" + std::string(name) + ".dtb";
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

::testing::AssertionResult FailsMentioning(const Status& status, std::string_view culprit) {
  if (status.is_ok()) {
    return ::testing::AssertionFailure() << "succeeded; expected an error mentioning \"" << culprit << '"';
  }
  if (status.message().find(culprit) == std::string_view::npos) {
    return ::testing::AssertionFailure() << "\"" << status.message() << "\" does not mention \"" << culprit << '"';
  }
  return ::testing::AssertionSuccess() << status.message();
}

PhysicalMemory::PhysicalMemory(uint64_t base, uint64_t size) : base_(base), size_(size) {
  uint64_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  host_ = std::aligned_alloc(kAlignment, rounded);
  if (host_ == nullptr) throw std::bad_alloc();
  fake::set_physical_memory(base, host_, size);
}

PhysicalMemory::~PhysicalMemory() {
  fake::set_physical_memory(0, nullptr, 0);
  std::free(host_);
}

}  // namespace septum::test
