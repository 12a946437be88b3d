// ipi: vCPU 0 starts every other vCPU with PSCI CPU_ON; then each vCPU sends
// `rounds=` SGIs to every other one and counts what it receives.
//
// GICv3 merges an SGI raised while the same SGI is still pending, so each
// message sits in a mailbox slot that the receiver clears; the sender waits
// for the slot to clear before the next message to that target.
#include <atomic>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/gic.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/sysreg.h"
#include "tests/domains/timer_rate.h"

using namespace septum::sdk;

namespace {

constexpr uint32_t kSgi = 1;

// mailbox[target][sender]: set by the sender, cleared by the target.
constinit std::atomic<bool> mailbox[kMaxVcpus][kMaxVcpus]{};
constinit std::atomic<uint32_t> received[kMaxVcpus]{};
constinit std::atomic<uint32_t> interrupts[kMaxVcpus]{};
constinit std::atomic<bool> online[kMaxVcpus]{};
constinit std::atomic<bool> sent_all[kMaxVcpus]{};
constinit std::atomic<bool> reported[kMaxVcpus]{};

void on_sgi(uint32_t) {
  uint32_t me = this_vcpu();
  interrupts[me].store(interrupts[me].load() + 1);
  for (auto& slot : mailbox[me]) {
    if (slot.load()) {
      slot.store(false);
      received[me].store(received[me].load() + 1);
    }
  }
}

void wait_for_all(const std::atomic<bool>* flags) {
  for (uint32_t i = 0; i < vcpu_count(); ++i) {
    while (!flags[i].load()) cpu_relax();
  }
}

void exchange(uint32_t me) {
  gic::enable(kSgi);
  print("ipi: vcpu {} online (MPIDR {:#x})\n", me, platform().cpu_mpidr[me]);
  online[me].store(true);
  wait_for_all(online);
  uint64_t rounds = boot_arg_number("rounds", 10);
  for (uint64_t round = 0; round < rounds; ++round) {
    for (uint32_t target = 0; target < vcpu_count(); ++target) {
      if (target == me) continue;
      while (mailbox[target][me].load()) cpu_relax();
      mailbox[target][me].store(true);
      gic::send_sgi(kSgi, platform().cpu_mpidr[target]);
    }
  }
  for (uint32_t target = 0; target < vcpu_count(); ++target) {
    while (mailbox[target][me].load()) cpu_relax();
  }
  sent_all[me].store(true);
  wait_for_all(sent_all);  // after this nothing more arrives anywhere
  print("ipi: vcpu {} received {} IPIs in {} interrupts\n", me, received[me].load(), interrupts[me].load());
  reported[me].store(true);
}

}  // namespace

void domain_main() {
  uint32_t n = vcpu_count();
  if (n < 2) {
    print("ipi: FAILED: needs at least 2 vCPUs, has {}\n", n);
    return;
  }
  gic::set_handler(kSgi, on_sgi);
  for (uint32_t vcpu = 1; vcpu < n; ++vcpu) {
    uint64_t mpidr = platform().cpu_mpidr[vcpu];
    int64_t state = psci::affinity_info(mpidr);
    int64_t rc = start_vcpu(vcpu, exchange);
    print("ipi: CPU_ON vcpu {} (MPIDR {:#x}, AFFINITY_INFO {}) returned {}\n", vcpu, mpidr, state, rc);
    if (rc != psci::kSuccess) return;
  }
  exchange(0);
  wait_for_all(reported);
  uint64_t expected = boot_arg_number("rounds", 10) * (n - 1);
  bool ok = true;
  for (uint32_t vcpu = 0; vcpu < n; ++vcpu) {
    if (received[vcpu].load() != expected) {
      print("ipi: FAILED: vcpu {} received {} IPIs, expected {}\n", vcpu, received[vcpu].load(), expected);
      ok = false;
    }
  }
  // The secondaries turn themselves off (CPU_OFF) when exchange() returns.
  for (uint32_t vcpu = 1; vcpu < n; ++vcpu) {
    while (psci::affinity_info(platform().cpu_mpidr[vcpu]) != psci::kAffinityOff) cpu_relax();
  }
  print("ipi: secondaries are OFF again (AFFINITY_INFO)\n");
  if (ok) print("ipi: all {} vCPUs exchanged IPIs\n", n);
  if (boot_arg("timer_hz")) {
    timer_rate::measure(0);
    timer_rate::check(1);
  }
}
