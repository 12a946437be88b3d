// The EL1 domain runtime: what a domain built with septum_domain() can rely on.
//
// The hypervisor (Xen 4.17 or Septum) enters the image's Linux arm64 header at
// EL1h with the MMU off and x0 = device tree IPA. The runtime relocates the
// image, zeroes .bss, installs its vectors, reads the platform from the
// device tree, brings up the GIC and the console, unmasks IRQs and calls
// domain_main() on vCPU 0. When domain_main() returns the domain powers off.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/abi/guest_platform.h"
#include "kernel/platform.h"

// Defined by the domain; runs on vCPU 0 with IRQs unmasked.
void domain_main();

namespace septum::sdk {

inline constexpr uint32_t kMaxVcpus = abi::kMaxVcpusPerDomain;

// The platform as read from the device tree (memory, vCPU MPIDRs in vCPU
// order, GICv3 regions, timer PPIs, bootargs). `uart` is the SBSA UART or
// PL011 the console writes to, size 0 if the tree has none.
const Platform& platform();
uint32_t vcpu_count();
// Index of the calling vCPU: 0 for the boot vCPU, else the index given to start_vcpu().
uint32_t this_vcpu();

// Value of "key=value" in the bootargs ("" for a bare key), nullopt if absent.
std::optional<std::string_view> boot_arg(std::string_view key);
// Value of a decimal or 0x-prefixed hexadecimal boot argument, or `fallback`
// when it is absent or not a number.
uint64_t boot_arg_number(std::string_view key, uint64_t fallback);

// Where the image lies in IPA space (including .bss and the vCPU stacks).
uint64_t image_base();
uint64_t image_end();

using VcpuEntry = void (*)(uint32_t vcpu);

// Starts vCPU `vcpu` (1 .. vcpu_count()-1) with PSCI CPU_ON. It runs
// `entry(vcpu)` on its own stack with the vectors, its GIC redistributor and
// CPU interface set up and IRQs unmasked, then turns itself off (CPU_OFF).
// Returns the PSCI result.
int64_t start_vcpu(uint32_t vcpu, VcpuEntry entry);

// Powers the domain off (PSCI SYSTEM_OFF; SCHEDOP_shutdown if that fails).
[[noreturn]] void domain_exit();

}  // namespace septum::sdk
