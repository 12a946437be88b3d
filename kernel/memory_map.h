// Free physical memory = RAM banks minus reserved ranges, kept as a sorted
// list of disjoint page-aligned ranges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/platform.h"
#include "kernel/status.h"

namespace septum {

class MemoryMap final {
 public:
  static constexpr size_t kMaxRanges = 32;
  static constexpr uint64_t kPageSize = 4096;

  // Adds RAM, shrunk inward to whole pages.
  Status add(Range ram);
  // Removes a range, grown outward to whole pages; it may span banks or lie outside RAM.
  Status reserve(Range range);

  std::span<const Range> ranges() const { return {ranges_, count_}; }
  uint64_t total_bytes() const;

 private:
  Status insert(size_t index, Range range);

  Range ranges_[kMaxRanges]{};
  size_t count_ = 0;
};

}  // namespace septum
