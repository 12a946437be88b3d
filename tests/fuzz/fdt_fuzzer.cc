// libFuzzer target for the device-tree reader: any blob that Fdt::open
// accepts must be safe to walk in every direction and to parse as a platform.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/fdt.h"
#include "kernel/platform.h"

namespace septum {
namespace {

// A broken invariant is a finding even when no memory error happens.
void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

void visit_properties(const Fdt& fdt, Fdt::Node node) {
  constexpr std::string_view kNames[] = {"compatible",     "reg",         "status", "device_type", "interrupts",
                                         "#address-cells", "#size-cells", "method", "bootargs",    "stdout-path"};
  for (std::string_view name : kNames) {
    if (auto bytes = fdt.property(node, name)) {
      Fdt::Cells cells(*bytes);
      while (cells.read(1)) {
      }
      check(cells.remaining_bytes() < 4);
    }
    if (auto text = fdt.string_property(node, name)) check(text->size() < fdt.total_size());
    (void)fdt.u32_property(node, name);
  }
  (void)fdt.is_enabled(node);
}

void walk(const Fdt& fdt, Fdt::Node node, unsigned depth) {
  check(depth < Fdt::kMaxDepth);
  (void)fdt.name(node);
  visit_properties(fdt, node);
  for (auto child = fdt.first_child(node); child; child = fdt.next_sibling(*child)) {
    check(child->offset > node.offset);
    check(fdt.parent(*child) == node);
    walk(fdt, *child, depth + 1);
  }
}

}  // namespace
}  // namespace septum

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace septum;
  Fdt fdt;
  if (!Fdt::open(data, size, fdt).is_ok()) return 0;
  check(fdt.total_size() <= size);

  walk(fdt, fdt.root(), 0);
  check(!fdt.parent(fdt.root()));
  check(!fdt.next_sibling(fdt.root()));

  for (std::string_view path :
       {"/", "/cpus", "/cpus/cpu@0", "/chosen", "/memory", "/reserved-memory", "//a//b/", "/cpus/cpu/x"}) {
    (void)fdt.find_path(path);
  }
  for (std::string_view compatible : {"arm,gic-v3", "arm,armv8-timer", "arm,psci-0.2", "arm,pl011", ""}) {
    for (auto node = fdt.find_compatible(compatible); node; node = fdt.next_compatible(*node, compatible)) {
      check(fdt.is_compatible(*node, compatible));
    }
  }
  for (size_t i = 0; i < fdt.reservation_count(); ++i) (void)fdt.reservation(i);

  Platform platform;
  if (parse_platform(fdt, platform).is_ok()) {
    check(platform.memory_count > 0 && platform.memory_count <= Platform::kMaxMemoryBanks);
    check(platform.cpu_count > 0 && platform.cpu_count <= Platform::kMaxCpus);
    check(platform.gic_redistributor_count > 0);
    (void)find_boot_arg(platform.bootargs, "septum.log");
  }
  return 0;
}
