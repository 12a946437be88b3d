#include "kernel/platform.h"

namespace septum {

namespace {

constexpr uint32_t kPpiBase = 16;
constexpr uint32_t kSpiBase = 32;
constexpr uint32_t kGicSpi = 0;
constexpr uint32_t kGicPpi = 1;

struct AddressCells {
  uint32_t address;
  uint32_t size;
};

// #address-cells / #size-cells that govern `node`'s "reg" (set on its parent).
AddressCells reg_cells(const Fdt& fdt, Fdt::Node node) {
  AddressCells cells{2, 1};  // defaults from the devicetree specification
  if (auto parent = fdt.parent(node)) {
    if (auto a = fdt.u32_property(*parent, "#address-cells")) cells.address = *a;
    if (auto s = fdt.u32_property(*parent, "#size-cells")) cells.size = *s;
  }
  return cells;
}

// Reads up to `capacity` (address, size) pairs of `node`'s "reg".
Status read_reg(const Fdt& fdt, Fdt::Node node, Range* out, size_t capacity, size_t& count) {
  AddressCells cells = reg_cells(fdt, node);
  auto reg = fdt.property(node, "reg");
  if (!reg) return Status::error("device tree: {} has no 'reg'", fdt.name(node));
  uint32_t entry_bytes = (cells.address + cells.size) * 4;
  if (cells.address == 0 || cells.address > 2 || cells.size > 2 || reg->size() % entry_bytes != 0) {
    return Status::error("device tree: 'reg' of {} has {} bytes for #address-cells {} / #size-cells {}",
                         fdt.name(node), reg->size(), cells.address, cells.size);
  }
  Fdt::Cells reader(*reg);
  count = 0;
  while (!reader.empty()) {
    if (count == capacity) {
      return Status::error("device tree: {} has more than {} 'reg' entries", fdt.name(node), capacity);
    }
    uint64_t base = *reader.read(cells.address);
    uint64_t size = cells.size == 0 ? 0 : *reader.read(cells.size);
    if (base + size < base) {
      return Status::error("device tree: 'reg' of {} wraps around: {:#x} + {:#x}", fdt.name(node), base, size);
    }
    out[count++] = {base, size};
  }
  return Status::ok();
}

Status parse_memory(const Fdt& fdt, Platform& out) {
  for (auto node = fdt.first_child(fdt.root()); node; node = fdt.next_sibling(*node)) {
    auto type = fdt.string_property(*node, "device_type");
    if (!type || *type != "memory" || !fdt.is_enabled(*node)) continue;
    size_t count = 0;
    Range banks[Platform::kMaxMemoryBanks];
    SEPTUM_TRY(read_reg(fdt, *node, banks, Platform::kMaxMemoryBanks, count));
    for (size_t i = 0; i < count; ++i) {
      if (banks[i].size == 0) continue;
      if (out.memory_count == Platform::kMaxMemoryBanks) {
        return Status::error("device tree: more than {} memory banks", Platform::kMaxMemoryBanks);
      }
      out.memory[out.memory_count++] = banks[i];
    }
  }
  if (out.memory_count == 0) return Status::error("device tree: no memory node with a non-empty 'reg'");
  return Status::ok();
}

Status add_reserved(Platform& out, Range range) {
  if (range.size == 0) return Status::ok();
  if (out.reserved_count == Platform::kMaxReserved) {
    return Status::error("device tree: more than {} reserved memory regions", Platform::kMaxReserved);
  }
  out.reserved[out.reserved_count++] = range;
  return Status::ok();
}

Status parse_reserved(const Fdt& fdt, Platform& out) {
  for (size_t i = 0; i < fdt.reservation_count(); ++i) {
    Fdt::Reservation r = fdt.reservation(i);
    if (r.address + r.size < r.address) return Status::error("device tree: /memreserve/ {} wraps around", i);
    SEPTUM_TRY(add_reserved(out, {r.address, r.size}));
  }
  auto reserved = fdt.find_path("/reserved-memory");
  if (!reserved) return Status::ok();
  for (auto node = fdt.first_child(*reserved); node; node = fdt.next_sibling(*node)) {
    if (!fdt.property(*node, "reg")) continue;  // dynamically placed: nothing to avoid
    Range regions[Platform::kMaxReserved];
    size_t count = 0;
    SEPTUM_TRY(read_reg(fdt, *node, regions, Platform::kMaxReserved, count));
    for (size_t i = 0; i < count; ++i) SEPTUM_TRY(add_reserved(out, regions[i]));
  }
  return Status::ok();
}

Status parse_cpus(const Fdt& fdt, Platform& out) {
  auto cpus = fdt.find_path("/cpus");
  if (!cpus) return Status::error("device tree: no /cpus node");
  auto address_cells = fdt.u32_property(*cpus, "#address-cells").value_or(2);
  if (address_cells != 1 && address_cells != 2) {
    return Status::error("device tree: /cpus has #address-cells {}, expected 1 or 2", address_cells);
  }
  for (auto node = fdt.first_child(*cpus); node; node = fdt.next_sibling(*node)) {
    auto type = fdt.string_property(*node, "device_type");
    if (!type || *type != "cpu" || !fdt.is_enabled(*node)) continue;
    auto reg = fdt.property(*node, "reg");
    if (!reg || reg->size() != address_cells * 4) {
      return Status::error("device tree: cpu {} has a missing or malformed 'reg'", fdt.name(*node));
    }
    if (out.cpu_count == Platform::kMaxCpus) {
      return Status::error("device tree: more than {} CPUs; the core supports at most {}", Platform::kMaxCpus,
                           Platform::kMaxCpus);
    }
    uint64_t mpidr = *Fdt::Cells(*reg).read(address_cells);
    constexpr uint64_t kAffinityMask = 0xff00ffffffull;
    if ((mpidr & ~kAffinityMask) != 0) {
      return Status::error("device tree: cpu {} 'reg' {:#x} is not an MPIDR affinity value", fdt.name(*node), mpidr);
    }
    for (size_t i = 0; i < out.cpu_count; ++i) {
      if (out.cpu_mpidr[i] == mpidr) return Status::error("device tree: two CPUs with MPIDR {:#x}", mpidr);
    }
    out.cpu_mpidr[out.cpu_count++] = mpidr;
  }
  if (out.cpu_count == 0) return Status::error("device tree: /cpus lists no CPU");
  return Status::ok();
}

// Decodes the index-th 3-cell GIC interrupt specifier of `node` to an INTID.
std::optional<uint32_t> gic_interrupt(const Fdt& fdt, Fdt::Node node, size_t index) {
  auto prop = fdt.property(node, "interrupts");
  if (!prop || prop->size() < (index + 1) * 12) return std::nullopt;
  Fdt::Cells cells(prop->subspan(index * 12, 12));
  uint32_t type = static_cast<uint32_t>(*cells.read(1));
  uint32_t number = static_cast<uint32_t>(*cells.read(1));
  if (type == kGicPpi && number < 16) return kPpiBase + number;
  if (type == kGicSpi && number < 988) return kSpiBase + number;
  return std::nullopt;
}

Status parse_gic(const Fdt& fdt, Platform& out) {
  auto gic = fdt.find_compatible("arm,gic-v3");
  if (!gic) return Status::error("device tree: no GICv3 (compatible \"arm,gic-v3\")");
  uint32_t redist_regions = fdt.u32_property(*gic, "#redistributor-regions").value_or(1);
  if (redist_regions == 0 || redist_regions > Platform::kMaxRedistributorRegions) {
    return Status::error("device tree: GIC #redistributor-regions {} outside 1..{}", redist_regions,
                         Platform::kMaxRedistributorRegions);
  }
  Range regs[1 + Platform::kMaxRedistributorRegions + 4];  // + GICC/GICH/GICV/ITS leftovers
  size_t count = 0;
  SEPTUM_TRY(read_reg(fdt, *gic, regs, sizeof regs / sizeof regs[0], count));
  if (count < 1 + redist_regions) {
    return Status::error("device tree: GIC 'reg' has {} entries, needs distributor + {} redistributor regions", count,
                         redist_regions);
  }
  out.gic_distributor = regs[0];
  for (size_t i = 0; i < redist_regions; ++i) out.gic_redistributors[i] = regs[1 + i];
  out.gic_redistributor_count = redist_regions;
  out.gic_maintenance_intid = gic_interrupt(fdt, *gic, 0).value_or(0);
  return Status::ok();
}

Status parse_timer(const Fdt& fdt, Platform& out) {
  auto timer = fdt.find_compatible("arm,armv8-timer");
  if (!timer) timer = fdt.find_compatible("arm,armv7-timer");
  if (!timer) return Status::error("device tree: no architected timer (compatible \"arm,armv8-timer\")");
  uint32_t* fields[] = {&out.timer_secure_intid, &out.timer_physical_intid, &out.timer_virtual_intid};
  for (size_t i = 0; i < 3; ++i) {
    auto intid = gic_interrupt(fdt, *timer, i);
    if (!intid || *intid >= kSpiBase) {
      return Status::error("device tree: timer 'interrupts' entry {} is missing or not a PPI", i);
    }
    *fields[i] = *intid;
  }
  // The EL2 timer exists only where there is an EL2 to use it (a guest's
  // tree, e.g. Xen's, lists three PPIs).
  if (fdt.property(*timer, "interrupts")->size() > 3 * 12) {
    auto intid = gic_interrupt(fdt, *timer, 3);
    if (!intid || *intid >= kSpiBase) {
      return Status::error("device tree: timer 'interrupts' entry 3 is not a PPI");
    }
    out.timer_hypervisor_intid = *intid;
  }
  return Status::ok();
}

Status parse_psci(const Fdt& fdt, Platform& out) {
  auto psci = fdt.find_compatible("arm,psci-1.0");
  if (!psci) psci = fdt.find_compatible("arm,psci-0.2");
  if (!psci) return Status::error("device tree: no PSCI 0.2+ node (compatible \"arm,psci-0.2\")");
  auto method = fdt.string_property(*psci, "method");
  if (method == "smc") {
    out.psci_conduit = PsciConduit::smc;
  } else if (method == "hvc") {
    out.psci_conduit = PsciConduit::hvc;
  } else {
    return Status::error("device tree: PSCI 'method' must be \"smc\" or \"hvc\"");
  }
  return Status::ok();
}

// A PL011 or its SBSA subset (what Xen's vpl011 offers guests): the
// transmit path the core and the SDK use is common to both.
bool is_uart(const Fdt& fdt, Fdt::Node node) {
  return fdt.is_compatible(node, "arm,pl011") || fdt.is_compatible(node, "arm,sbsa-uart");
}

Status parse_uart(const Fdt& fdt, Platform& out) {
  std::optional<Fdt::Node> uart;
  if (auto chosen = fdt.find_path("/chosen")) {
    if (auto stdout_path = fdt.string_property(*chosen, "stdout-path")) {
      uart = fdt.find_path(stdout_path->substr(0, stdout_path->find(':')));
      if (uart && !is_uart(fdt, *uart)) uart.reset();
    }
  }
  if (!uart) uart = fdt.find_compatible("arm,pl011");
  if (!uart) uart = fdt.find_compatible("arm,sbsa-uart");
  if (!uart) return Status::ok();
  size_t count = 0;
  Range regs[2];
  SEPTUM_TRY(read_reg(fdt, *uart, regs, 2, count));
  if (count > 0) out.uart = regs[0];
  return Status::ok();
}

}  // namespace

Status parse_platform(const Fdt& fdt, Platform& out) {
  out = Platform{};
  SEPTUM_TRY(parse_memory(fdt, out));
  SEPTUM_TRY(parse_reserved(fdt, out));
  SEPTUM_TRY(parse_cpus(fdt, out));
  SEPTUM_TRY(parse_gic(fdt, out));
  SEPTUM_TRY(parse_timer(fdt, out));
  SEPTUM_TRY(parse_psci(fdt, out));
  SEPTUM_TRY(parse_uart(fdt, out));
  if (auto chosen = fdt.find_path("/chosen")) {
    out.bootargs = fdt.string_property(*chosen, "bootargs").value_or("");
  }
  return Status::ok();
}

std::optional<std::string_view> find_boot_arg(std::string_view cmdline, std::string_view key) {
  while (!cmdline.empty()) {
    size_t space = cmdline.find(' ');
    std::string_view word = cmdline.substr(0, space);
    cmdline = space == std::string_view::npos ? std::string_view{} : cmdline.substr(space + 1);
    if (word == key) return std::string_view{};
    if (word.size() > key.size() && word.starts_with(key) && word[key.size()] == '=') {
      return word.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

}  // namespace septum
