// Bring-up of the core on AArch64: device tree, memory, EL2 MMU, GICv3,
// hypervisor timer and every CPU, then the boot report.
#include <atomic>

#include "kernel/arch/aarch64/cpu.h"
#include "kernel/arch/aarch64/exceptions.h"
#include "kernel/arch/aarch64/gic_v3.h"
#include "kernel/arch/aarch64/guest.h"
#include "kernel/arch/aarch64/pl011.h"
#include "kernel/arch/aarch64/psci.h"
#include "kernel/arch/aarch64/sysreg.h"
#include "kernel/abi/boot_pack.h"
#include "kernel/boot_pack.h"
#include "kernel/fdt.h"
#include "kernel/memory_map.h"
#include "kernel/page_allocator.h"
#include "kernel/page_table.h"
#include "kernel/panic.h"
#include "kernel/platform.h"
#include "kernel/version.h"

extern "C" char __image_start[], __text_end[], __rodata_end[], __image_end[];
extern "C" char secondary_entry[];

namespace septum::aarch64 {

namespace {

// QEMU virt puts the device tree at the start of RAM when it loads an ELF;
// the core is linked 2 MiB above, which bounds the blob.
constexpr uint64_t kDefaultDtbAddress = 0x40000000;
constexpr size_t kMaxDtbSize = 2 << 20;
constexpr unsigned kSecondaryStackOrder = 2;  // 16 KiB
constexpr uint32_t kTimerSelfTestInterrupts = 10;
constexpr uint64_t kTimerSelfTestHz = 1000;
constexpr uint64_t kCpuStartTimeoutSeconds = 10;

// CNTHP_CTL_EL2 bits.
constexpr uint64_t kTimerEnable = 1u << 0;

struct Core {
  Platform platform;
  MemoryMap memory_map;
  PageAllocator allocator;
  GicV3 gic;
  CpuFeatures features{};
  uint64_t page_table_root = 0;
  PageTable::Stats page_table_stats;
  uint64_t dtb_address = 0;
  uint32_t dtb_size = 0;
  PerCpu cpus[Platform::kMaxCpus]{};
  Range boot_pack{};  // size 0: the core booted without domains
  std::atomic<bool> guests_started{false};
};

constinit Core core;

uint64_t counter() {
  isb();
  return SEPTUM_READ_SYSREG(CNTPCT_EL0);
}

[[noreturn]] void boot_failure(const Status& status) {
  log("septum: boot failed: {}", status.message());
  system_off(ExitStatus::boot_error);
}

void check(const Status& status) {
  if (!status.is_ok()) boot_failure(status);
}

PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(SEPTUM_READ_SYSREG(TPIDR_EL2)); }

void arm_timer() {
  uint64_t period = core.features.counter_hz / kTimerSelfTestHz;
  SEPTUM_WRITE_SYSREG(CNTHP_CVAL_EL2, counter() + period);
  SEPTUM_WRITE_SYSREG(CNTHP_CTL_EL2, kTimerEnable);
  isb();
}

void handle_irq() {
  uint32_t intid = core.gic.acknowledge();
  if (GicV3::is_spurious(intid)) return;
  if (intid == core.platform.timer_hypervisor_intid) {
    PerCpu& cpu = this_cpu();
    if (cpu.timer_interrupts.fetch_add(1) + 1 < kTimerSelfTestInterrupts) {
      arm_timer();
    } else {
      SEPTUM_WRITE_SYSREG(CNTHP_CTL_EL2, 0);
      cpu.timer_done.store(true);
    }
  } else {
    log("septum: cpu{}: unexpected interrupt {}", this_cpu().index, intid);
  }
  core.gic.end_of_interrupt(intid);
}

// Everything a CPU sets up for itself once the MMU is on; then it proves its
// interrupt path by taking timer interrupts.
void cpu_local_init(PerCpu& cpu) {
  SEPTUM_WRITE_SYSREG(TPIDR_EL2, reinterpret_cast<uint64_t>(&cpu));
  // Physical IRQs and FIQs are taken to EL2; EL1 is AArch64.
  SEPTUM_WRITE_SYSREG(HCR_EL2, (1ull << 31) | (1ull << 4) | (1ull << 3));
  isb();
  check(core.gic.init_cpu(core.platform, cpu.mpidr, cpu.redistributor));
  core.gic.enable_ppi(cpu.redistributor, core.platform.timer_hypervisor_intid);
  cpu.online.store(true);
  irq_enable();
  arm_timer();
  while (!cpu.timer_done.load()) wfi();
}

Status map_identity(PageTable& table, Range range, MapAttributes attributes) {
  return table.map(range.base, range.base, range.size, attributes);
}

// RAM is mapped RW/XN except the core image, which gets W^X by section.
Status build_identity_map(PageTable& table) {
  SEPTUM_TRY(table.init());
  const auto image_start = reinterpret_cast<uint64_t>(__image_start);
  const auto text_end = reinterpret_cast<uint64_t>(__text_end);
  const auto rodata_end = reinterpret_cast<uint64_t>(__rodata_end);
  const auto image_end = reinterpret_cast<uint64_t>(__image_end);
  const MapAttributes ram{MemoryType::normal, true, false};
  for (size_t i = 0; i < core.platform.memory_count; ++i) {
    Range bank = core.platform.memory[i];
    bank.base = (bank.base + 0xfff) & ~0xfffull;
    uint64_t end = core.platform.memory[i].end() & ~0xfffull;
    if (end <= bank.base) continue;
    bank.size = end - bank.base;
    if (image_start >= bank.base && image_end <= bank.end()) {
      if (image_start > bank.base) SEPTUM_TRY(map_identity(table, {bank.base, image_start - bank.base}, ram));
      if (bank.end() > image_end) SEPTUM_TRY(map_identity(table, {image_end, bank.end() - image_end}, ram));
    } else {
      SEPTUM_TRY(map_identity(table, bank, ram));
    }
  }
  SEPTUM_TRY(map_identity(table, {image_start, text_end - image_start}, {MemoryType::normal, false, true}));
  SEPTUM_TRY(map_identity(table, {text_end, rodata_end - text_end}, {MemoryType::normal, false, false}));
  SEPTUM_TRY(map_identity(table, {rodata_end, image_end - rodata_end}, ram));

  const MapAttributes device{MemoryType::device, true, false};
  auto map_device = [&](Range r) {
    uint64_t base = r.base & ~0xfffull;
    return map_identity(table, {base, ((r.end() + 0xfff) & ~0xfffull) - base}, device);
  };
  SEPTUM_TRY(map_device(core.platform.gic_distributor));
  for (size_t i = 0; i < core.platform.gic_redistributor_count; ++i) {
    SEPTUM_TRY(map_device(core.platform.gic_redistributors[i]));
  }
  if (core.platform.uart.size) SEPTUM_TRY(map_device(core.platform.uart));
  return Status::ok();
}

void start_secondary_cpus() {
  uint64_t self = current_mpidr();
  for (size_t i = 0; i < core.platform.cpu_count; ++i) {
    PerCpu& cpu = core.cpus[i];
    if (cpu.mpidr == self) continue;
    auto stack = core.allocator.alloc(kSecondaryStackOrder);
    if (!stack) boot_failure(Status::error("no memory for the stack of cpu{}", i));
    cpu.stack_top = *stack + (PageAllocator::kPageSize << kSecondaryStackOrder);
    // The new CPU reads its PerCpu and the page-table root with the MMU off.
    clean_dcache_to_poc(&core, sizeof core);
    int64_t result = psci_call(psci::kCpuOn, cpu.mpidr, reinterpret_cast<uint64_t>(secondary_entry),
                               reinterpret_cast<uint64_t>(&cpu));
    if (result != psci::kSuccess) {
      boot_failure(Status::error("PSCI CPU_ON of cpu{} (MPIDR {:#x}) failed with {}", i, cpu.mpidr, result));
    }
  }
}

void wait_for(std::atomic<bool>& flag, const char* what, size_t index) {
  uint64_t deadline = counter() + kCpuStartTimeoutSeconds * core.features.counter_hz;
  while (!flag.load()) {
    if (counter() > deadline) boot_failure(Status::error("cpu{} {} within {} s", index, what, kCpuStartTimeoutSeconds));
  }
}

void print_boot_report() {
  const Platform& p = core.platform;
  GicV3::Info gic = core.gic.info();
  size_t online = 0;
  for (size_t i = 0; i < p.cpu_count; ++i) online += core.cpus[i].online.load() ? 1 : 0;
  log("Septum {} boot report", kVersion);
  log("  cpus online: {} of {} at EL2", online, p.cpu_count);
  for (size_t i = 0; i < p.cpu_count; ++i) {
    log("    cpu{} mpidr {:#x} online, {} timer interrupts", i, core.cpus[i].mpidr,
        core.cpus[i].timer_interrupts.load());
  }
  uint64_t ram = 0;
  for (size_t i = 0; i < p.memory_count; ++i) {
    log("  memory bank [{:#x}, {:#x}) {} MiB", p.memory[i].base, p.memory[i].end(), p.memory[i].size >> 20);
    ram += p.memory[i].size;
  }
  log("  memory: {} MiB RAM, {} MiB free for domains ({} pages)", ram >> 20,
      core.allocator.free_pages() * PageAllocator::kPageSize >> 20, core.allocator.free_pages());
  log("  core image [{:#x}, {:#x}), device tree at {:#x} ({} bytes), {} reserved regions",
      reinterpret_cast<uint64_t>(__image_start), reinterpret_cast<uint64_t>(__image_end), core.dtb_address,
      core.dtb_size, p.reserved_count);
  log("  gic: v3, distributor {:#x}, {} redistributor region(s), {} SPIs, {} list registers, {} priority bits",
      p.gic_distributor.base, p.gic_redistributor_count, gic.spi_count, gic.list_registers, gic.priority_bits);
  unsigned ipa_bits = core.features.pa_bits > 48 ? 48 : core.features.pa_bits;
  log("  pa range: {} bits; guest IPA size: {} bits", core.features.pa_bits, ipa_bits);
  log("  vhe: {}", core.features.vhe ? "present (not used)" : "absent");
  log("  midr: {:#x}; counter: {} Hz; hypervisor timer intid {}", core.features.midr, core.features.counter_hz,
      p.timer_hypervisor_intid);
  log("  el2 map: {} x 1G, {} x 2M, {} x 4K, {} tables", core.page_table_stats.blocks_1g,
      core.page_table_stats.blocks_2m, core.page_table_stats.pages_4k, core.page_table_stats.tables);
  log("  bootargs: \"{}\"", p.bootargs);
}

// boot/mkboot places the pack at the first 2 MiB boundary after the image.
// Only its size is read here, to keep the allocator away from it; the pack
// is validated in full before any domain is built.
Range find_boot_pack() {
  uint64_t base = (reinterpret_cast<uint64_t>(__image_end) + abi::kBootPackAlignment - 1) &
                  ~(abi::kBootPackAlignment - 1);
  for (size_t i = 0; i < core.platform.memory_count; ++i) {
    const Range& bank = core.platform.memory[i];
    if (base < bank.base || base + sizeof(abi::BootPackHeader) > bank.end()) continue;
    const auto* header = reinterpret_cast<const abi::BootPackHeader*>(base);
    for (size_t j = 0; j < sizeof header->magic; ++j) {
      if (header->magic[j] != abi::kBootPackMagic[j]) return {};
    }
    uint64_t available = bank.end() - base;
    return {base, header->total_size < available ? header->total_size : available};
  }
  return {};
}

// Validates the pack and builds its domains; they start running once every
// CPU has joined.
void start_domains() {
  uint64_t online_mask = 0;
  for (size_t i = 0; i < core.platform.cpu_count; ++i) {
    if (core.cpus[i].online.load()) online_mask |= 1ull << i;
  }
  unsigned ipa_bits = core.features.pa_bits > 48 ? 48 : core.features.pa_bits;
  BootPack pack;
  check(BootPack::open(reinterpret_cast<const void*>(core.boot_pack.base), core.boot_pack.size,
                       {ipa_bits, online_mask}, pack));
  log("septum: boot pack with {} domain(s)", pack.domain_count());
  GuestEnvironment environment{&core.platform, &core.allocator, &core.gic, core.cpus, core.features,
                               core.gic.info().list_registers};
  check(create_boot_domains(environment, pack));
  set_irq_handler(handle_el2_irq);
  core.guests_started.store(true);
  asm volatile("sev" ::: "memory");
}

// Deliberate faults for the crash-report scenarios ("septum.fault=...").
void inject_fault(std::string_view kind) {
  log("septum: injecting fault \"{}\"", kind);
  if (kind == "data") {
    constexpr uint64_t kUnmapped = 0x0000dead00000000;  // inside the 48-bit VA space, never mapped
    (void)*reinterpret_cast<volatile uint64_t*>(kUnmapped);
  } else if (kind == "undef") {
    asm volatile("udf #0");
  } else if (kind == "write-text") {
    *reinterpret_cast<volatile uint32_t*>(&__image_start[0]) = 0;
  } else {
    log("septum: unknown fault kind; expected data, undef or write-text");
  }
}

}  // namespace

extern "C" [[noreturn]] void boot_cpu_main(uint64_t dtb_from_loader) {
  log("Septum {} starting at EL2", kVersion);
  core.dtb_address = dtb_from_loader ? dtb_from_loader : kDefaultDtbAddress;
  Fdt fdt;
  size_t available = kMaxDtbSize;
  uint64_t image_start = reinterpret_cast<uint64_t>(__image_start);
  if (core.dtb_address < image_start && image_start - core.dtb_address < available) {
    available = image_start - core.dtb_address;
  }
  Status opened = Fdt::open(reinterpret_cast<const void*>(core.dtb_address), available, fdt);
  if (!opened.is_ok()) {
    log("septum: no usable device tree at {:#x}", core.dtb_address);
    boot_failure(opened);
  }
  core.dtb_size = fdt.total_size();
  check(parse_platform(fdt, core.platform));
  if (core.platform.timer_hypervisor_intid == 0) {
    boot_failure(Status::error("device tree: the timer lists no EL2 (hypervisor) timer PPI"));
  }
  if (core.platform.psci_conduit != PsciConduit::smc) {
    boot_failure(Status::error("PSCI method \"hvc\" cannot be used from EL2; the firmware must offer SMC"));
  }
  if (core.platform.uart.size) pl011_set_base(core.platform.uart.base);

  core.boot_pack = find_boot_pack();
  for (size_t i = 0; i < core.platform.memory_count; ++i) check(core.memory_map.add(core.platform.memory[i]));
  check(core.memory_map.reserve(core.boot_pack));
  check(core.memory_map.reserve({image_start, reinterpret_cast<uint64_t>(__image_end) - image_start}));
  check(core.memory_map.reserve({core.dtb_address, core.dtb_size}));
  for (size_t i = 0; i < core.platform.reserved_count; ++i) check(core.memory_map.reserve(core.platform.reserved[i]));
  check(core.allocator.init(core.memory_map));

  core.features = read_cpu_features();
  PageTable table(core.allocator);
  check(build_identity_map(table));
  core.page_table_root = table.root();
  core.page_table_stats = table.stats();
  mmu_enable(core.page_table_root, core.features.pa_range_field);

  uint64_t self = current_mpidr();
  size_t self_index = Platform::kMaxCpus;
  for (size_t i = 0; i < core.platform.cpu_count; ++i) {
    core.cpus[i].index = static_cast<uint32_t>(i);
    core.cpus[i].mpidr = core.platform.cpu_mpidr[i];
    if (core.cpus[i].mpidr == self) self_index = i;
  }
  if (self_index == Platform::kMaxCpus) {
    boot_failure(Status::error("the boot CPU (MPIDR {:#x}) is not listed in the device tree", self));
  }
  set_irq_handler(handle_irq);
  check(core.gic.init_distributor(core.platform, self));
  start_secondary_cpus();
  cpu_local_init(core.cpus[self_index]);
  for (size_t i = 0; i < core.platform.cpu_count; ++i) {
    wait_for(core.cpus[i].online, "did not come online", i);
    wait_for(core.cpus[i].timer_done, "took no timer interrupts", i);
  }
  print_boot_report();
  if (auto fault = find_boot_arg(core.platform.bootargs, "septum.fault")) inject_fault(*fault);
  log("septum: boot complete");
  if (core.boot_pack.size == 0) {
    log("septum: no boot pack, nothing to run");
    system_off(ExitStatus::ok);
  }
  start_domains();
  run_guests(core.cpus[self_index]);
}

extern "C" [[noreturn]] void secondary_cpu_main(PerCpu* cpu) {
  mmu_enable(core.page_table_root, core.features.pa_range_field);
  cpu_local_init(*cpu);
  while (!core.guests_started.load()) asm volatile("wfe" ::: "memory");
  run_guests(*cpu);
}

}  // namespace septum::aarch64
