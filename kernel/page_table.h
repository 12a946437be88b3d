// Builds translation tables: the largest block that fits (1 GiB, 2 MiB, 4 KiB)
// is used for every part of a mapping. Tables come from the page allocator and
// are written through arch::phys_to_virt, so the same code runs on the host.
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

  explicit PageTable(PageAllocator& allocator) : allocator_(allocator) {}

  Status init();
  // Maps [va, va+size) to [pa, pa+size). All three must be page aligned;
  // an overlap with an existing mapping is an error and changes nothing
  // beyond the entries already written for lower addresses.
  Status map(uint64_t va, uint64_t pa, uint64_t size, MapAttributes attributes);
  std::optional<Translation> translate(uint64_t va) const;

  uint64_t root() const { return root_; }
  const Stats& stats() const { return stats_; }

 private:
  Status map_level(uint64_t table, unsigned level, uint64_t va, uint64_t pa, uint64_t size,
                   MapAttributes attributes);
  Status new_table(uint64_t& pa);

  PageAllocator& allocator_;
  uint64_t root_ = 0;
  Stats stats_;
};

}  // namespace septum
