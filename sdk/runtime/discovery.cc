#include "sdk/runtime/discovery.h"

#include "kernel/fdt.h"
#include "sdk/runtime/domain.h"

namespace septum::sdk {


Status discover_platform(const void* dtb, Platform& out) {
  Fdt fdt;
  SEPTUM_TRY(Fdt::open(dtb, kMaxDeviceTreeSize, fdt));
  SEPTUM_TRY(parse_platform(fdt, out));
  if (out.cpu_count > kMaxVcpus) {
    return Status::error("device tree: {} vCPUs; the runtime supports {}", out.cpu_count, kMaxVcpus);
  }
  return Status::ok();
}

}  // namespace septum::sdk
