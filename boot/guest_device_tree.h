// Each domain's device tree: the virtual platform of kernel/abi/guest_platform.h
// as a flattened device tree (devicetree specification v0.4, chapter 5).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace septum::boot {

// Writes a flattened device tree (version 17) node by node, in document order.
class FdtWriter final {
 public:
  void begin_node(std::string_view name);
  void end_node();

  void property(std::string_view name, std::span<const uint8_t> value);
  void property_empty(std::string_view name) { property(name, {}); }
  void property_u32(std::string_view name, uint32_t value) { property_cells(name, {value}); }
  void property_cells(std::string_view name, std::span<const uint32_t> cells);
  void property_cells(std::string_view name, std::initializer_list<uint32_t> cells) {
    property_cells(name, std::span<const uint32_t>(cells.begin(), cells.size()));
  }
  // One or more NUL-terminated strings (a string list when several).
  void property_strings(std::string_view name, std::initializer_list<std::string_view> strings);

  // The blob; every node must have been ended. Throws std::logic_error if not.
  std::vector<uint8_t> finish() const;

 private:
  void token(uint32_t value);
  void pad_to_cell();
  uint32_t name_offset(std::string_view name);

  std::vector<uint8_t> structure_;
  std::string strings_;
  int depth_ = 0;
};

struct GuestPlatform {
  uint64_t memory_base;
  uint64_t memory_size;
  uint32_t vcpus;
  std::string_view bootargs;
  // The initial ramdisk's guest-physical range [start, end); none when equal.
  uint64_t initrd_start = 0;
  uint64_t initrd_end = 0;
};

// The tree: /chosen (bootargs, initrd), /memory, /cpus in vCPU order, /psci
// (HVC), the GICv3, the architected timer and /hypervisor (the Xen-compatible
// interface: grant-table window and event-channel PPI).
std::vector<uint8_t> guest_device_tree(const GuestPlatform& platform);

// What the /hypervisor node claims; Linux prints "Xen <version> support
// found" from the first string, and the core reports 4.17 to xen_version.
inline constexpr std::string_view kHypervisorCompatible = "xen,xen-4.17";
inline constexpr std::string_view kHypervisorCompatibleGeneric = "xen,xen";

}  // namespace septum::boot
