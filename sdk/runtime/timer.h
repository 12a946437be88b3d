// The EL1 virtual timer (CNTV_*_EL0) and the virtual counter.
#pragma once

#include <cstdint>

#include "kernel/status.h"

namespace septum::sdk::timer {

// CNTFRQ_EL0: counter ticks per second.
uint64_t frequency();
// CNTVCT_EL0, ordered after the instructions before it.
uint64_t now();

// Called from the IRQ handler with the counter value the tick was due at.
using TickHandler = void (*)(uint64_t due);

// Programs the calling vCPU's virtual timer to interrupt `hz` times a second
// on an absolute schedule (no drift), calling `on_tick` each time. A tick
// that comes more than a period late does not replay the missed ones.
Status start_periodic(uint32_t hz, TickHandler on_tick);
// Stops the calling vCPU's ticks.
void stop();

// Waits until the counter reaches `deadline`, taking interrupts meanwhile:
// idle in WFI while this vCPU ticks, else spinning.
void wait_until(uint64_t deadline);

}  // namespace septum::sdk::timer
