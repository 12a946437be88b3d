// Finds the domain's platform in the device tree the hypervisor passed in x0.
#pragma once


#include "kernel/platform.h"
#include "kernel/status.h"

namespace septum::sdk {

// Largest device tree a boot loader may pass (Documentation/arm64/booting.rst).
inline constexpr size_t kMaxDeviceTreeSize = 2 << 20;

// Validates the tree (Fdt::open) and fills `out` with parse_platform():
// memory, vCPUs, GIC, timer PPIs, the UART if any (Xen's vpl011 is an SBSA
// UART), bootargs.
Status discover_platform(const void* dtb, Platform& out);

}  // namespace septum::sdk
