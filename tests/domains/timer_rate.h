// Measuring the virtual timer's interrupt rate, shared by the test domains
// that report it (timer, ipi).
#pragma once

#include <cstdint>

namespace timer_rate {

// Takes virtual-timer interrupts on the calling vCPU at `timer_hz=` for
// `duration_ms=` (boot arguments) and prints the rate measured with CNTVCT:
// "timer: requested R Hz, measured M Hz over T ms (K interrupts) on vcpu V".
void measure(uint32_t vcpu);

// Waits for the first `vcpus` vCPUs' measurements and prints whether each is
// within `tolerance_pct=` (5) of the request (a FAILED line if not).
bool check(uint32_t vcpus);

}  // namespace timer_rate
