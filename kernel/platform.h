// The machine as the core needs it, extracted from the platform device tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/fdt.h"
#include "kernel/status.h"

namespace septum {

struct Range {
  uint64_t base;
  uint64_t size;
  uint64_t end() const { return base + size; }
};

enum class PsciConduit : uint8_t { smc, hvc };

struct Platform {
  static constexpr size_t kMaxMemoryBanks = 16;
  static constexpr size_t kMaxReserved = 16;
  static constexpr size_t kMaxCpus = 16;
  static constexpr size_t kMaxRedistributorRegions = 8;

  Range memory[kMaxMemoryBanks]{};
  size_t memory_count = 0;
  // Memory the firmware or boot loader keeps for itself (/memreserve/ and
  // /reserved-memory); the core never allocates from it.
  Range reserved[kMaxReserved]{};
  size_t reserved_count = 0;

  uint64_t cpu_mpidr[kMaxCpus]{};  // affinity fields only, in device-tree order
  size_t cpu_count = 0;

  Range gic_distributor{};
  Range gic_redistributors[kMaxRedistributorRegions]{};
  size_t gic_redistributor_count = 0;
  uint32_t gic_maintenance_intid = 0;  // 0 if the device tree gives none

  Range uart{};  // PL011 or SBSA UART; size 0 if absent

  // Architected timer interrupts as GIC INTIDs.
  uint32_t timer_secure_intid = 0;
  uint32_t timer_physical_intid = 0;
  uint32_t timer_virtual_intid = 0;
  uint32_t timer_hypervisor_intid = 0;  // 0 if the tree lists none (a guest's tree)

  PsciConduit psci_conduit = PsciConduit::smc;
  std::string_view bootargs;  // points into the device tree blob
};

// Fills `out` from a validated device tree. Every missing or malformed piece
// the core depends on is reported with the node and property that is wrong.
Status parse_platform(const Fdt& fdt, Platform& out);

// Value of "key=value" in a space-separated command line; "" for a bare
// "key"; nullopt when absent.
std::optional<std::string_view> find_boot_arg(std::string_view cmdline, std::string_view key);

}  // namespace septum
