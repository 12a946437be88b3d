// Physical page allocator over the free ranges of the memory map. Each
// region keeps a bitmap (one bit per 4 KiB page, set = in use) in its own
// first pages, so the allocator needs no memory of its own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/memory_map.h"
#include "kernel/status.h"

namespace septum {

class PageAllocator final {
 public:
  static constexpr uint64_t kPageSize = 4096;
  static constexpr size_t kMaxRegions = MemoryMap::kMaxRanges;
  static constexpr unsigned kMaxOrder = 18;  // 1 GiB

  // Takes over every free range of `map` (ranges too small to hold their own
  // bitmap and one page are skipped).
  Status init(const MemoryMap& map);

  // 2^order contiguous pages, aligned to their size; nullopt when none fit.
  std::optional<uint64_t> alloc(unsigned order = 0);
  // Returns 2^order pages obtained from alloc(). The bitmap keeps no orders:
  // a range that is not entirely allocated, misaligned or outside managed
  // memory is refused and reported.
  Status free(uint64_t pa, unsigned order = 0);

  uint64_t free_pages() const { return free_pages_; }
  uint64_t managed_pages() const { return managed_pages_; }

 private:
  struct Region {
    uint64_t first_page;  // physical page number of the first managed page
    uint64_t pages;
    uint64_t* bitmap;
  };

  std::optional<uint64_t> alloc_in(Region& region, uint64_t count);
  void lock();
  void unlock();

  Region regions_[kMaxRegions]{};
  size_t region_count_ = 0;
  uint64_t free_pages_ = 0;
  uint64_t managed_pages_ = 0;
  std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
};

}  // namespace septum
