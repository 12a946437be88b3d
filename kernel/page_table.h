// Builds translation tables: the largest block that fits (1 GiB, 2 MiB, 4 KiB)
// is used for every part of a mapping. One implementation serves the core's
// own EL2 stage-1 map and every domain's stage-2 map; only the leaf
// attribute encoding differs. Tables come from the page allocator and are
// written through arch::phys_to_virt, so the same code runs on the host.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel/page_allocator.h"
#include "kernel/status.h"

namespace septum {

enum class MemoryType : uint8_t { device, normal };

struct MapAttributes {
  MemoryType type;
  bool writable;
  bool executable;
  bool operator==(const MapAttributes&) const = default;
};

class PageTable final {
 public:
  struct Translation {
    uint64_t pa;
    MapAttributes attributes;
    unsigned level;  // 1 = 1 GiB block, 2 = 2 MiB block, 3 = 4 KiB page
  };

  struct Stats {
    uint64_t blocks_1g = 0;
    uint64_t blocks_2m = 0;
    uint64_t pages_4k = 0;
    uint64_t tables = 0;
  };

  enum class Regime : uint8_t { el2_stage1, stage2 };

  // `input_bits`: VA (stage 1) or IPA (stage 2) size, 32..48 bits (4 KiB
  // granule). The walk starts at level 0, except for stage-2 spaces of 42
  // bits or fewer, which start at level 1 (see start_level()).
  PageTable(PageAllocator& allocator, Regime regime = Regime::el2_stage1, unsigned input_bits = 48)
      : allocator_(allocator), regime_(regime), input_bits_(input_bits) {}

  Status init();
  // Returns every table page to the allocator; the mappings' memory is the
  // owner's to release.
  void destroy();
  // Maps [va, va+size) to [pa, pa+size). All three must be page aligned;
  // an overlap with an existing mapping is an error and changes nothing
  // beyond the entries already written for lower addresses.
  Status map(uint64_t va, uint64_t pa, uint64_t size, MapAttributes attributes);
  std::optional<Translation> translate(uint64_t va) const;

  uint64_t root() const { return root_; }
  unsigned input_bits() const { return input_bits_; }
  unsigned start_level() const { return start_level_; }
  const Stats& stats() const { return stats_; }

 private:
  Status map_level(uint64_t table, unsigned level, uint64_t va, uint64_t pa, uint64_t size,
                   MapAttributes attributes);
  Status new_table(uint64_t& pa, unsigned order = 0);
  void free_tables(uint64_t table, unsigned level);
  unsigned entries_at(unsigned level) const;
  uint64_t leaf_descriptor(uint64_t pa, unsigned level, MapAttributes attributes) const;
  MapAttributes leaf_attributes(uint64_t descriptor) const;

  PageAllocator& allocator_;
  Regime regime_;
  unsigned input_bits_;
  unsigned start_level_ = 0;
  unsigned root_order_ = 0;  // the root is 2^root_order_ concatenated tables
  uint64_t root_ = 0;
  Stats stats_;
};

}  // namespace septum
