// hello: the runtime's view of the platform, and the hypervisor's version.
#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/timer.h"

using namespace septum::sdk;

void domain_main() {
  const auto& p = platform();
  uint64_t memory = 0;
  for (size_t i = 0; i < p.memory_count; ++i) memory += p.memory[i].size;
  print("hello from {}: {} vCPUs, {} MiB at {:#x}, counter {} Hz\n", boot_arg("name").value_or("hello"), vcpu_count(),
        memory >> 20, p.memory[0].base, timer::frequency());
  int64_t version = xen::xen_version();
  int64_t features = xen::xen_features(0);
  if (version < 0) {
    print("hello: xen_version failed: {}\n", version);
  } else {
    print("hello: xen_version {}.{} ({:#x}), features[0] {:#x}\n", version >> 16, version & 0xffff, version, features);
  }
  print("hello: PSCI_VERSION {:#x}, SMCCC_VERSION {:#x}, PSCI_FEATURES(CPU_ON) {}\n", psci::version(),
        psci::hvc_call(psci::kSmcccVersion), psci::features(psci::kCpuOn));
  print("hello: image at {:#x}, done\n", image_base());
}
