// timer: virtual-timer interrupts at `timer_hz=` for `duration_ms=` on vCPU 0
// (on every vCPU with `all_vcpus`), the rate measured with CNTVCT; a rate
// more than `tolerance_pct=` (5) off the request fails the run.
#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/hypercall.h"
#include "tests/domains/timer_rate.h"

using namespace septum::sdk;

void domain_main() {
  uint32_t vcpus = boot_arg("all_vcpus") ? vcpu_count() : 1;
  for (uint32_t vcpu = 1; vcpu < vcpus; ++vcpu) {
    if (int64_t rc = start_vcpu(vcpu, timer_rate::measure); rc != psci::kSuccess) {
      print("timer: FAILED: CPU_ON vcpu {} returned {}\n", vcpu, rc);
      return;
    }
  }
  timer_rate::measure(0);
  timer_rate::check(vcpus);
}
