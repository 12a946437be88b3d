#include "kernel/page_allocator.h"

#include "kernel/arch.h"

namespace septum {

namespace {

constexpr unsigned kPageShift = 12;

bool test_bit(const uint64_t* bitmap, uint64_t i) { return (bitmap[i / 64] >> (i % 64)) & 1; }

void set_bits(uint64_t* bitmap, uint64_t first, uint64_t count, bool used) {
  for (uint64_t i = first; i < first + count; ++i) {
    uint64_t mask = uint64_t{1} << (i % 64);
    if (used) {
      bitmap[i / 64] |= mask;
    } else {
      bitmap[i / 64] &= ~mask;
    }
  }
}

}  // namespace

Status PageAllocator::init(const MemoryMap& map) {
  region_count_ = 0;
  free_pages_ = managed_pages_ = 0;
  for (const Range& range : map.ranges()) {
    uint64_t pages = range.size >> kPageShift;
    uint64_t bitmap_bytes = (pages + 63) / 64 * 8;
    uint64_t bitmap_pages = (bitmap_bytes + kPageSize - 1) >> kPageShift;
    if (pages <= bitmap_pages) continue;
    auto* bitmap = static_cast<uint64_t*>(arch::phys_to_virt(range.base));
    uint64_t managed = pages - bitmap_pages;
    uint64_t words = (managed + 63) / 64;
    for (uint64_t w = 0; w < words; ++w) bitmap[w] = 0;
    // Bits past the end of the region stay set so they are never handed out.
    if (managed % 64) bitmap[words - 1] = ~uint64_t{0} << (managed % 64);
    regions_[region_count_++] = {(range.base >> kPageShift) + bitmap_pages, managed, bitmap};
    free_pages_ += managed;
    managed_pages_ += managed;
  }
  if (region_count_ == 0) return Status::error("page allocator: no usable free memory");
  return Status::ok();
}

std::optional<uint64_t> PageAllocator::alloc_in(Region& region, uint64_t count) {
  // Candidates are indices whose physical page number is a multiple of `count`.
  uint64_t first = (region.first_page + count - 1) / count * count - region.first_page;
  uint64_t i = first;
  while (i + count <= region.pages) {
    if (region.bitmap[i / 64] == ~uint64_t{0}) {  // a full word: jump past it
      uint64_t next_word = (i / 64 + 1) * 64;
      i = first + (next_word - first + count - 1) / count * count;
      continue;
    }
    uint64_t used = 0;
    while (used < count && !test_bit(region.bitmap, i + used)) ++used;
    if (used == count) {
      set_bits(region.bitmap, i, count, true);
      return (region.first_page + i) << kPageShift;
    }
    i += count;
  }
  return std::nullopt;
}

std::optional<uint64_t> PageAllocator::alloc(unsigned order) {
  if (order > kMaxOrder) return std::nullopt;
  uint64_t count = uint64_t{1} << order;
  lock();
  std::optional<uint64_t> pa;
  for (size_t r = 0; r < region_count_ && !pa; ++r) pa = alloc_in(regions_[r], count);
  if (pa) free_pages_ -= count;
  unlock();
  return pa;
}

Status PageAllocator::free(uint64_t pa, unsigned order) {
  if (order > kMaxOrder || pa % (kPageSize << order) != 0) {
    return Status::error("page allocator: free of {:#x} with order {} is misaligned", pa, order);
  }
  uint64_t page = pa >> kPageShift;
  uint64_t count = uint64_t{1} << order;
  lock();
  for (size_t r = 0; r < region_count_; ++r) {
    Region& region = regions_[r];
    if (page < region.first_page || page + count > region.first_page + region.pages) continue;
    uint64_t index = page - region.first_page;
    for (uint64_t j = 0; j < count; ++j) {
      if (!test_bit(region.bitmap, index + j)) {
        unlock();
        return Status::error("page allocator: double free of page {:#x}", (page + j) << kPageShift);
      }
    }
    set_bits(region.bitmap, index, count, false);
    free_pages_ += count;
    unlock();
    return Status::ok();
  }
  unlock();
  return Status::error("page allocator: {:#x} (order {}) is not managed memory", pa, order);
}

void PageAllocator::lock() {
  while (lock_.test_and_set(std::memory_order_acquire)) {
  }
}

void PageAllocator::unlock() { lock_.clear(std::memory_order_release); }

}  // namespace septum
