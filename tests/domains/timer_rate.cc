#include "tests/domains/timer_rate.h"

#include <atomic>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/sysreg.h"
#include "sdk/runtime/timer.h"

using namespace septum::sdk;

namespace timer_rate {

namespace {


struct Measurement {
  uint32_t ticks;
  uint64_t first;  // CNTVCT at the first and the last tick
  uint64_t last;
  uint64_t total_latency;  // counter ticks from due to handled, summed
  uint64_t max_latency;
  uint64_t hz;  // measured
};

constinit Measurement measurements[kMaxVcpus]{};
constinit std::atomic<bool> finished[kMaxVcpus]{};

void on_tick(uint64_t due) {
  Measurement& m = measurements[this_vcpu()];
  uint64_t now = timer::now();
  if (m.ticks++ == 0) m.first = now;
  m.last = now;
  m.total_latency += now - due;
  if (now - due > m.max_latency) m.max_latency = now - due;
}

}  // namespace

void measure(uint32_t vcpu) {
  uint64_t requested = boot_arg_number("timer_hz", 100);
  uint64_t duration_ms = boot_arg_number("duration_ms", 1000);
  uint64_t frequency = timer::frequency();
  if (auto s = timer::start_periodic(static_cast<uint32_t>(requested), on_tick); !s.is_ok()) {
    print("timer: FAILED on vcpu {}: {}\n", vcpu, s.message());
  } else {
    timer::wait_until(timer::now() + duration_ms * frequency / 1000);
    timer::stop();
  }
  Measurement& m = measurements[vcpu];
  uint64_t span = m.last - m.first;
  m.hz = span == 0 ? 0 : (m.ticks - 1) * frequency / span;
  print("timer: requested {} Hz, measured {} Hz over {} ms ({} interrupts) on vcpu {}\n", requested, m.hz,
        span * 1000 / frequency, m.ticks, vcpu);
  uint64_t ticks_per_us = frequency / 1'000'000 ? frequency / 1'000'000 : 1;
  print("timer: vcpu {} latency: average {} us, worst {} us\n", vcpu,
        m.ticks ? m.total_latency / m.ticks / ticks_per_us : 0, m.max_latency / ticks_per_us);
  finished[vcpu].store(true);
}

bool check(uint32_t vcpus) {
  uint64_t requested = boot_arg_number("timer_hz", 100);
  uint64_t tolerance = boot_arg_number("tolerance_pct", 5);
  bool ok = true;
  for (uint32_t vcpu = 0; vcpu < vcpus; ++vcpu) {
    while (!finished[vcpu].load()) cpu_relax();
    uint64_t hz = measurements[vcpu].hz;
    uint64_t error = hz > requested ? hz - requested : requested - hz;
    if (error * 100 > requested * tolerance) {
      print("timer: FAILED: vcpu {} measured {} Hz for {} Hz\n", vcpu, hz, requested);
      ok = false;
    }
  }
  if (ok) print("timer: {} vCPU(s) within {}% of {} Hz\n", vcpus, tolerance, requested);
  return ok;
}

}  // namespace timer_rate
