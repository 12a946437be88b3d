#include "kernel/page_table.h"

#include "kernel/arch.h"
#include "kernel/arch/aarch64/descriptor.h"

namespace septum {

namespace {

using namespace aarch64;

constexpr uint64_t kOutputLimit = uint64_t{1} << 48;

uint64_t* table_at(uint64_t pa) { return static_cast<uint64_t*>(arch::phys_to_virt(pa)); }

bool is_table(uint64_t d, unsigned level) { return level < kLevels - 1 && (d & kTableOrPage); }

}  // namespace

uint64_t PageTable::leaf_descriptor(uint64_t pa, unsigned level, MapAttributes a) const {
  uint64_t d = pa | kValid | kAccessFlag;
  if (level == kLevels - 1) d |= kTableOrPage;
  if (a.type == MemoryType::normal) d |= kInnerShareable;
  if (!a.executable) d |= kExecuteNever;
  if (regime_ == Regime::el2_stage1) {
    unsigned index = a.type == MemoryType::device ? kMairDeviceIndex : kMairNormalIndex;
    d |= kApRes1 | (uint64_t{index} << kAttrIndexShift);
    if (!a.writable) d |= kApReadOnly;
  } else {
    uint64_t attr = a.type == MemoryType::device ? kS2MemAttrDevice : kS2MemAttrNormalWriteBack;
    d |= (attr << kS2MemAttrShift) | kS2ApRead;
    if (a.writable) d |= kS2ApWrite;
  }
  return d;
}

MapAttributes PageTable::leaf_attributes(uint64_t d) const {
  bool executable = (d & kExecuteNever) == 0;
  if (regime_ == Regime::el2_stage1) {
    unsigned index = static_cast<unsigned>((d >> kAttrIndexShift) & 7);
    return {index == kMairDeviceIndex ? MemoryType::device : MemoryType::normal, (d & kApReadOnly) == 0, executable};
  }
  uint64_t attr = (d >> kS2MemAttrShift) & 0xf;
  return {attr == kS2MemAttrDevice ? MemoryType::device : MemoryType::normal, (d & kS2ApWrite) != 0, executable};
}

Status PageTable::new_table(uint64_t& pa, unsigned order) {
  auto pages = allocator_.alloc(order);
  if (!pages) return Status::error("page table: out of memory for a translation table");
  uint64_t* t = table_at(*pages);
  for (unsigned i = 0; i < kEntriesPerTable << order; ++i) t[i] = 0;
  stats_.tables += 1u << order;
  pa = *pages;
  return Status::ok();
}

Status PageTable::init() {
  if (input_bits_ < 32 || input_bits_ > 48) {
    return Status::error("page table: {}-bit input addresses are outside 32..48 bits", input_bits_);
  }
  // A stage-2 walk may not start at level 0 on a CPU with 42 or fewer
  // physical address bits (S2InvalidSL): such IPA spaces start at level 1
  // with up to 8 concatenated root tables instead.
  if (regime_ == Regime::stage2 && input_bits_ <= 42) {
    start_level_ = 1;
    root_order_ = input_bits_ > 39 ? input_bits_ - 39 : 0;
  }
  return new_table(root_, root_order_);
}

unsigned PageTable::entries_at(unsigned level) const {
  return level == start_level_ ? kEntriesPerTable << root_order_ : kEntriesPerTable;
}

void PageTable::free_tables(uint64_t table, unsigned level) {
  uint64_t* entries = table_at(table);
  for (unsigned i = 0; i < entries_at(level); ++i) {
    if ((entries[i] & kValid) && is_table(entries[i], level)) free_tables(entries[i] & kOutputAddressMask, level + 1);
  }
  // A table always came from this allocator, the root with its order.
  (void)allocator_.free(table, level == start_level_ ? root_order_ : 0);
}

void PageTable::destroy() {
  if (root_ == 0) return;
  free_tables(root_, start_level_);
  root_ = 0;
  stats_ = {};
}

Status PageTable::map(uint64_t va, uint64_t pa, uint64_t size, MapAttributes attributes) {
  constexpr uint64_t kPageMask = (uint64_t{1} << kGranuleShift) - 1;
  if ((va | pa | size) & kPageMask) {
    return Status::error("page table: map of {:#x} -> {:#x} size {:#x} is not page aligned", va, pa, size);
  }
  uint64_t input_limit = uint64_t{1} << input_bits_;
  if (size == 0 || va + size > input_limit || va + size < va || pa + size > kOutputLimit || pa + size < pa) {
    return Status::error("page table: map of {:#x} -> {:#x} size {:#x} is out of range", va, pa, size);
  }
  return map_level(root_, start_level_, va, pa, size, attributes);
}

Status PageTable::map_level(uint64_t table, unsigned level, uint64_t va, uint64_t pa, uint64_t size,
                            MapAttributes attributes) {
  uint64_t* entries = table_at(table);
  uint64_t block = uint64_t{1} << level_shift(level);
  while (size > 0) {
    uint64_t& entry = entries[(va >> level_shift(level)) % entries_at(level)];
    bool fits = level >= kFirstBlockLevel && ((va | pa) & (block - 1)) == 0 && size >= block;
    uint64_t chunk = block - (va & (block - 1));
    if (chunk > size) chunk = size;
    if (fits) {
      if (entry & kValid) return Status::error("page table: {:#x} is already mapped", va);
      entry = leaf_descriptor(pa, level, attributes);
      if (level == 1) ++stats_.blocks_1g;
      if (level == 2) ++stats_.blocks_2m;
      if (level == 3) ++stats_.pages_4k;
    } else {
      if ((entry & kValid) && !is_table(entry, level)) {
        return Status::error("page table: {:#x} is already mapped by a block", va);
      }
      if (!(entry & kValid)) {
        uint64_t next = 0;
        SEPTUM_TRY(new_table(next));
        entry = next | kValid | kTableOrPage;
      }
      SEPTUM_TRY(map_level(entry & kOutputAddressMask, level + 1, va, pa, chunk, attributes));
    }
    va += chunk;
    pa += chunk;
    size -= chunk;
  }
  return Status::ok();
}

std::optional<PageTable::Translation> PageTable::translate(uint64_t va) const {
  if (va >= uint64_t{1} << input_bits_) return std::nullopt;
  uint64_t table = root_;
  for (unsigned level = start_level_; level < kLevels; ++level) {
    uint64_t entry = table_at(table)[(va >> level_shift(level)) % entries_at(level)];
    if (!(entry & kValid)) return std::nullopt;
    if (is_table(entry, level)) {
      table = entry & kOutputAddressMask;
      continue;
    }
    uint64_t offset_mask = (uint64_t{1} << level_shift(level)) - 1;
    return Translation{(entry & kOutputAddressMask & ~offset_mask) | (va & offset_mask), leaf_attributes(entry),
                       level};
  }
  return std::nullopt;
}

}  // namespace septum
