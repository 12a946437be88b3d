#include "sdk/runtime/domain.h"

#include <array>
#include <atomic>

#include "sdk/runtime/console.h"
#include "sdk/runtime/discovery.h"
#include "sdk/runtime/gic.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/sysreg.h"

// start.S and the linker script (domain.ld).
extern "C" char _start[];
extern "C" char __image_end[];
extern "C" void secondary_entry();

namespace septum::sdk {

static_assert(kMaxVcpus == 8, "start.S reserves MAX_VCPUS stacks");

namespace {

constinit Platform discovered{};
constinit std::array<std::atomic<VcpuEntry>, kMaxVcpus> vcpu_entries{};

[[noreturn]] void fail(const Status& status) {
  print("sdk: vCPU {}: {}\n", this_vcpu(), status.message());
  domain_exit();
}

// Brings up the calling vCPU's GIC redistributor and CPU interface, then unmasks IRQs.
void start_interrupts() {
  if (Status s = gic::init_this_vcpu(); !s.is_ok()) fail(s);
  irq_enable();
}

}  // namespace

const Platform& platform() { return discovered; }
uint32_t vcpu_count() { return static_cast<uint32_t>(discovered.cpu_count); }
uint32_t this_vcpu() { return static_cast<uint32_t>(SEPTUM_READ_SYSREG(tpidr_el1)); }

std::optional<std::string_view> boot_arg(std::string_view key) { return find_boot_arg(discovered.bootargs, key); }

uint64_t boot_arg_number(std::string_view key, uint64_t fallback) {
  std::string_view text = boot_arg(key).value_or("");
  uint64_t base = 10;
  if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return fallback;
  uint64_t value = 0;
  for (char c : text) {
    uint64_t digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 16;
    if (digit >= base) return fallback;
    value = value * base + digit;
  }
  return value;
}

uint64_t image_base() { return reinterpret_cast<uint64_t>(_start); }
uint64_t image_end() { return reinterpret_cast<uint64_t>(__image_end); }

int64_t start_vcpu(uint32_t vcpu, VcpuEntry entry) {
  if (vcpu == 0 || vcpu >= vcpu_count()) return psci::kInvalidParameters;
  vcpu_entries[vcpu].store(entry);
  return psci::cpu_on(discovered.cpu_mpidr[vcpu], reinterpret_cast<uint64_t>(secondary_entry), vcpu);
}

void domain_exit() {
  print("sdk: vCPU {}: domain_exit\n", this_vcpu());
  int64_t rc = psci::system_off();
  print("sdk: PSCI SYSTEM_OFF returned {}; trying SCHEDOP_shutdown\n", rc);
  xen::sched_shutdown(xen::ShutdownReason::poweroff);
  for (;;) {
    irq_disable();
    wfi();
  }
}

}  // namespace septum::sdk

using namespace septum::sdk;

// From start.S on vCPU 0: relocated, .bss zeroed, on its stack, vectors set.
extern "C" [[noreturn]] void runtime_boot(const void* device_tree) {
  septum::Status found = discover_platform(device_tree, discovered);
  console_use_uart(discovered.uart.base);  // 0 (console_io) when there is none
  if (!found.is_ok()) fail(found);
  if (septum::Status s = gic::init_distributor(); !s.is_ok()) fail(s);
  start_interrupts();
  domain_main();
  domain_exit();
}

// From start.S on a vCPU that start_vcpu() powered on.
extern "C" [[noreturn]] void runtime_secondary(uint32_t vcpu) {
  start_interrupts();
  vcpu_entries[vcpu].load()(vcpu);
  irq_disable();
  psci::cpu_off();
  fail(septum::Status::error("PSCI CPU_OFF returned"));
}
