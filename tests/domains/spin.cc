// spin: for overcommit. Every vCPU counts to `iterations=`, yielding with
// SCHEDOP_yield every `yield_every=` steps; the last to finish ends the domain.
#include <atomic>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/spinlock.h"
#include "sdk/runtime/sysreg.h"

using namespace septum::sdk;

namespace {

constinit Spinlock finish_lock;
constinit uint32_t finished = 0;  // guarded by finish_lock

void spin(uint32_t me) {
  uint64_t iterations = boot_arg_number("iterations", 2'000'000);
  uint64_t yield_every = boot_arg_number("yield_every", 100'000);
  volatile uint64_t counter = 0;  // the work: kept in memory, not optimised away
  uint64_t yields = 0;
  uint64_t failed_yields = 0;
  while (counter < iterations) {
    counter = counter + 1;
    if (yield_every != 0 && counter % yield_every == 0) {
      ++yields;
      if (xen::sched_yield() != 0) ++failed_yields;
    }
  }
  print("spin: vcpu {} done ({} iterations, {} yields, {} failed)\n", me, counter, yields, failed_yields);
  bool last;
  {
    SpinlockGuard guard(finish_lock);
    last = ++finished == vcpu_count();
  }
  if (last) {
    print("spin: all {} vCPUs made progress\n", vcpu_count());
    domain_exit();
  }
}

}  // namespace

void domain_main() {
  for (uint32_t vcpu = 1; vcpu < vcpu_count(); ++vcpu) {
    if (int64_t rc = start_vcpu(vcpu, spin); rc != psci::kSuccess) {
      print("spin: FAILED: CPU_ON vcpu {} returned {}\n", vcpu, rc);
      return;
    }
  }
  spin(0);
  for (;;) wfi();  // the last vCPU to finish powers the domain off
}
