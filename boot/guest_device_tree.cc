#include "boot/guest_device_tree.h"

#include <stdexcept>

#include "boot/text.h"
#include "kernel/abi/guest_platform.h"

namespace septum::boot {

namespace {

constexpr uint32_t kFdtMagic = 0xd00dfeed;
constexpr uint32_t kFdtVersion = 17;
constexpr uint32_t kFdtLastCompatibleVersion = 16;
constexpr uint32_t kBeginNode = 1;
constexpr uint32_t kEndNode = 2;
constexpr uint32_t kProp = 3;
constexpr uint32_t kEnd = 9;
constexpr size_t kHeaderSize = 40;
constexpr size_t kEmptyReservationMapSize = 16;  // the terminating (0, 0) entry

void append_be32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// A 64-bit value as the two cells #address-cells = 2 / #size-cells = 2 ask for.
void append_u64_cells(std::vector<uint32_t>& cells, uint64_t value) {
  cells.push_back(static_cast<uint32_t>(value >> 32));
  cells.push_back(static_cast<uint32_t>(value));
}

std::string unit_name(std::string_view name, uint64_t address) { return std::string(name) + "@" + hex(address, false); }

constexpr uint32_t kGicPhandle = 1;
constexpr uint32_t kGicPpi = 1;
constexpr uint32_t kPpiBase = 16;
constexpr uint32_t kIrqLevelHigh = 4;

// Each writes one child of the root node.
using NodeWriter = void (*)(FdtWriter&, const GuestPlatform&);

void write_chosen(FdtWriter& fdt, const GuestPlatform& platform) {
  fdt.begin_node("chosen");
  fdt.property_strings("bootargs", {platform.bootargs});
  if (platform.initrd_end > platform.initrd_start) {
    // 64-bit values, as libxl and U-Boot write them; Linux takes 1 or 2 cells.
    std::vector<uint32_t> start, end;
    append_u64_cells(start, platform.initrd_start);
    append_u64_cells(end, platform.initrd_end);
    fdt.property_cells("linux,initrd-start", start);
    fdt.property_cells("linux,initrd-end", end);
  }
  fdt.end_node();
}

void write_memory(FdtWriter& fdt, const GuestPlatform& platform) {
  fdt.begin_node(unit_name("memory", platform.memory_base));
  fdt.property_strings("device_type", {"memory"});
  std::vector<uint32_t> reg;
  append_u64_cells(reg, platform.memory_base);
  append_u64_cells(reg, platform.memory_size);
  fdt.property_cells("reg", reg);
  fdt.end_node();
}

void write_cpus(FdtWriter& fdt, const GuestPlatform& platform) {
  fdt.begin_node("cpus");
  fdt.property_u32("#address-cells", 1);
  fdt.property_u32("#size-cells", 0);
  for (uint32_t vcpu = 0; vcpu < platform.vcpus; ++vcpu) {
    uint64_t mpidr = abi::guest_mpidr(vcpu);
    fdt.begin_node(unit_name("cpu", mpidr));
    fdt.property_strings("device_type", {"cpu"});
    fdt.property_strings("compatible", {"arm,armv8"});
    fdt.property_u32("reg", static_cast<uint32_t>(mpidr));
    fdt.property_strings("enable-method", {"psci"});
    fdt.end_node();
  }
  fdt.end_node();
}

void write_psci(FdtWriter& fdt, const GuestPlatform&) {
  fdt.begin_node("psci");
  fdt.property_strings("compatible", {"arm,psci-1.0", "arm,psci-0.2"});
  fdt.property_strings("method", {"hvc"});
  fdt.end_node();
}

void write_gic(FdtWriter& fdt, const GuestPlatform& platform) {
  fdt.begin_node(unit_name("intc", abi::kGuestGicdBase));
  fdt.property_strings("compatible", {"arm,gic-v3"});
  fdt.property_u32("#interrupt-cells", 3);
  fdt.property_u32("#address-cells", 0);  // no children; dtc wants it on interrupt providers
  fdt.property_empty("interrupt-controller");
  fdt.property_u32("#redistributor-regions", 1);
  std::vector<uint32_t> reg;
  append_u64_cells(reg, abi::kGuestGicdBase);
  append_u64_cells(reg, abi::kGuestGicdSize);
  append_u64_cells(reg, abi::kGuestGicrBase);
  append_u64_cells(reg, uint64_t{platform.vcpus} * abi::kGuestGicrStride);
  fdt.property_cells("reg", reg);
  fdt.property_u32("phandle", kGicPhandle);
  fdt.end_node();
}

void write_timer(FdtWriter& fdt, const GuestPlatform&) {
  fdt.begin_node("timer");
  fdt.property_strings("compatible", {"arm,armv8-timer"});
  std::vector<uint32_t> interrupts;
  // The order the binding fixes: secure, non-secure physical, virtual, hypervisor.
  for (uint32_t intid : {abi::kGuestTimerSecureIntid, abi::kGuestTimerPhysicalIntid, abi::kGuestTimerVirtualIntid,
                         abi::kGuestTimerHypervisorIntid}) {
    interrupts.insert(interrupts.end(), {kGicPpi, intid - kPpiBase, kIrqLevelHigh});
  }
  fdt.property_cells("interrupts", interrupts);
  fdt.property_u32("interrupt-parent", kGicPhandle);
  fdt.end_node();
}

// The Xen-compatible interface (Linux: arch/arm/xen/enlighten.c and
// Documentation/devicetree/bindings/arm/xen.txt). Linux finds the node only
// by its exact name "hypervisor" at depth 1, so it has no unit address, and
// reads the version from the first compatible string. reg[0] is the window
// where grant-table frames get mapped; the one interrupt is the event-channel
// upcall PPI. Xen writes that PPI as <1 15 0xf08> (level-low with a GICv2
// CPU mask); the GICv3 binding knows only edge and level-high flags, and for
// a PPI Linux programs "level" either way, so it is level-high like the timer.
void write_hypervisor(FdtWriter& fdt, const GuestPlatform&) {
  fdt.begin_node("hypervisor");
  fdt.property_strings("compatible", {kHypervisorCompatible, kHypervisorCompatibleGeneric});
  std::vector<uint32_t> reg;
  append_u64_cells(reg, abi::kGuestGrantTableBase);
  append_u64_cells(reg, abi::kGuestGrantTableSize);
  fdt.property_cells("reg", reg);
  fdt.property_cells("interrupts", {kGicPpi, abi::kGuestEventChannelIntid - kPpiBase, kIrqLevelHigh});
  fdt.property_u32("interrupt-parent", kGicPhandle);
  fdt.end_node();
}

// The root's children in document order; a new device is one more writer here.
constexpr NodeWriter kRootChildren[] = {
    write_chosen, write_memory, write_cpus, write_psci, write_gic, write_timer, write_hypervisor,
};

}  // namespace

void FdtWriter::token(uint32_t value) { append_be32(structure_, value); }

void FdtWriter::pad_to_cell() {
  while (structure_.size() % 4 != 0) structure_.push_back(0);
}

uint32_t FdtWriter::name_offset(std::string_view name) {
  // Names are few; a linear search over the NUL-terminated names is enough.
  for (size_t at = 0; at < strings_.size();) {
    std::string_view existing(strings_.c_str() + at);
    if (existing == name) return static_cast<uint32_t>(at);
    at += existing.size() + 1;
  }
  auto offset = static_cast<uint32_t>(strings_.size());
  strings_.append(name);
  strings_.push_back('\0');
  return offset;
}

void FdtWriter::begin_node(std::string_view name) {
  token(kBeginNode);
  structure_.insert(structure_.end(), name.begin(), name.end());
  structure_.push_back(0);
  pad_to_cell();
  ++depth_;
}

void FdtWriter::end_node() {
  token(kEndNode);
  --depth_;
}

void FdtWriter::property(std::string_view name, std::span<const uint8_t> value) {
  token(kProp);
  append_be32(structure_, static_cast<uint32_t>(value.size()));
  append_be32(structure_, name_offset(name));
  structure_.insert(structure_.end(), value.begin(), value.end());
  pad_to_cell();
}

void FdtWriter::property_cells(std::string_view name, std::span<const uint32_t> cells) {
  std::vector<uint8_t> bytes;
  for (uint32_t cell : cells) append_be32(bytes, cell);
  property(name, bytes);
}

void FdtWriter::property_strings(std::string_view name, std::initializer_list<std::string_view> strings) {
  std::vector<uint8_t> bytes;
  for (std::string_view s : strings) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    bytes.push_back(0);
  }
  property(name, bytes);
}

std::vector<uint8_t> FdtWriter::finish() const {
  if (depth_ != 0) throw std::logic_error("device tree: unbalanced begin_node/end_node");
  std::vector<uint8_t> structure = structure_;
  append_be32(structure, kEnd);
  size_t struct_offset = kHeaderSize + kEmptyReservationMapSize;
  size_t strings_offset = struct_offset + structure.size();
  size_t total = strings_offset + strings_.size();

  std::vector<uint8_t> blob;
  for (size_t field :
       {size_t{kFdtMagic}, total, struct_offset, strings_offset, kHeaderSize, size_t{kFdtVersion},
        size_t{kFdtLastCompatibleVersion}, size_t{0} /* boot CPU */, strings_.size(), structure.size()}) {
    append_be32(blob, static_cast<uint32_t>(field));
  }
  blob.resize(struct_offset);  // the reservation map holds only its (0, 0) terminator
  blob.insert(blob.end(), structure.begin(), structure.end());
  blob.insert(blob.end(), strings_.begin(), strings_.end());
  return blob;
}

std::vector<uint8_t> guest_device_tree(const GuestPlatform& platform) {
  FdtWriter fdt;
  fdt.begin_node("");
  fdt.property_u32("#address-cells", 2);
  fdt.property_u32("#size-cells", 2);
  fdt.property_strings("compatible", {"septum,guest"});
  fdt.property_strings("model", {"Septum guest"});
  for (NodeWriter write : kRootChildren) write(fdt, platform);
  fdt.end_node();
  return fdt.finish();
}

}  // namespace septum::boot
