#include "kernel/memory_map.h"

namespace septum {

namespace {

constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

constexpr uint64_t align_up(uint64_t v, uint64_t a) {
  uint64_t up = (v + a - 1) & ~(a - 1);
  return up < v ? ~(a - 1) : up;  // saturate instead of wrapping
}

}  // namespace

Status MemoryMap::insert(size_t index, Range range) {
  if (count_ == kMaxRanges) return Status::error("memory map: more than {} free ranges", kMaxRanges);
  for (size_t i = count_; i > index; --i) ranges_[i] = ranges_[i - 1];
  ranges_[index] = range;
  ++count_;
  return Status::ok();
}

Status MemoryMap::add(Range ram) {
  uint64_t base = align_up(ram.base, kPageSize);
  uint64_t end = align_down(ram.end(), kPageSize);
  if (end <= base) return Status::ok();
  size_t index = 0;
  while (index < count_ && ranges_[index].base < base) ++index;
  if ((index > 0 && ranges_[index - 1].end() > base) || (index < count_ && ranges_[index].base < end)) {
    return Status::error("memory map: RAM [{:#x}, {:#x}) overlaps another bank", base, end);
  }
  return insert(index, {base, end - base});
}

Status MemoryMap::reserve(Range range) {
  // Nothing to remove; below, an empty range would split a free range around a zero-length hole.
  if (range.size == 0) return Status::ok();
  uint64_t base = align_down(range.base, kPageSize);
  uint64_t end = align_up(range.end() < range.base ? ~0ull : range.end(), kPageSize);
  for (size_t i = 0; i < count_;) {
    Range r = ranges_[i];
    if (end <= r.base || base >= r.end()) {
      ++i;
      continue;
    }
    bool keep_low = base > r.base;
    bool keep_high = end < r.end();
    if (keep_low && keep_high) {
      ranges_[i] = {r.base, base - r.base};
      SEPTUM_TRY(insert(i + 1, {end, r.end() - end}));
      return Status::ok();
    }
    if (keep_low) {
      ranges_[i] = {r.base, base - r.base};
      ++i;
    } else if (keep_high) {
      ranges_[i] = {end, r.end() - end};
      ++i;
    } else {
      for (size_t j = i; j + 1 < count_; ++j) ranges_[j] = ranges_[j + 1];
      --count_;
    }
  }
  return Status::ok();
}

uint64_t MemoryMap::total_bytes() const {
  uint64_t total = 0;
  for (size_t i = 0; i < count_; ++i) total += ranges_[i].size;
  return total;
}

}  // namespace septum
