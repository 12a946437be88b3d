#include "sdk/runtime/timer.h"

#include <array>

#include "sdk/runtime/domain.h"
#include "sdk/runtime/gic.h"
#include "sdk/runtime/sysreg.h"

namespace septum::sdk::timer {

namespace {

constexpr uint64_t kCtlEnable = 1u << 0;

struct Periodic {
  uint64_t period = 0;  // counter ticks; 0 = stopped
  uint64_t next = 0;    // absolute deadline of the next tick
  TickHandler on_tick = nullptr;
};

constinit std::array<Periodic, kMaxVcpus> periodic{};

void arm(uint64_t deadline) {
  SEPTUM_WRITE_SYSREG(cntv_cval_el0, deadline);
  SEPTUM_WRITE_SYSREG(cntv_ctl_el0, kCtlEnable);  // also clears IMASK, which a hypervisor may set
  isb();
}

void disarm() {
  SEPTUM_WRITE_SYSREG(cntv_ctl_el0, 0);
  isb();
}

void on_interrupt(uint32_t) {
  Periodic& p = periodic[this_vcpu()];
  if (p.period == 0) {
    disarm();  // the timer's level interrupt would fire again at once
    return;
  }
  uint64_t due = p.next;
  uint64_t current = now();
  p.next += p.period;
  if (p.next <= current) p.next = current + p.period;
  arm(p.next);
  if (p.on_tick) p.on_tick(due);
}

}  // namespace

uint64_t frequency() { return SEPTUM_READ_SYSREG(cntfrq_el0); }

uint64_t now() {
  isb();
  return SEPTUM_READ_SYSREG(cntvct_el0);
}

Status start_periodic(uint32_t hz, TickHandler on_tick) {
  uint64_t freq = frequency();
  if (hz == 0 || hz > freq) return Status::error("timer: cannot tick at {} Hz with a {} Hz counter", hz, freq);
  uint32_t intid = platform().timer_virtual_intid;
  Periodic& p = periodic[this_vcpu()];
  p.period = freq / hz;
  p.next = now() + p.period;
  p.on_tick = on_tick;
  gic::set_handler(intid, on_interrupt);
  gic::enable(intid);
  arm(p.next);
  return Status::ok();
}

void stop() {
  periodic[this_vcpu()].period = 0;
  disarm();
  gic::disable(platform().timer_virtual_intid);
}

void wait_until(uint64_t deadline) {
  bool ticking = periodic[this_vcpu()].period != 0;
  while (now() < deadline) {
    if (ticking) {
      wfi();
    } else {
      cpu_relax();
    }
  }
}

}  // namespace septum::sdk::timer
