// GICv3 guest driver: distributor, this vCPU's redistributor and the ICC
// system-register CPU interface. Non-secure group 1 only; handlers for SGIs
// and PPIs (INTIDs 0-31), the interrupts a domain owns per vCPU.
#pragma once

#include <cstdint>

#include "kernel/status.h"

namespace septum::sdk::gic {

inline constexpr uint32_t kLocalInterrupts = 32;  // SGIs 0-15, PPIs 16-31
inline constexpr uint32_t kSpurious = 1023;

using Handler = void (*)(uint32_t intid);

// Once per domain (the runtime does it on vCPU 0): affinity routing and group 1 on.
Status init_distributor();
// On the vCPU it sets up (the runtime does it for every vCPU): finds the
// redistributor whose GICR_TYPER affinity matches MPIDR_EL1, wakes it,
// disables its SGIs/PPIs and enables the ICC interface.
Status init_this_vcpu();

// Handlers are shared by all vCPUs. enable() acts on an SGI/PPI of the
// calling vCPU's redistributor; disable() also takes an SPI (distributor).
void set_handler(uint32_t intid, Handler handler);
void enable(uint32_t intid);
void disable(uint32_t intid);

// Raises SGI `intid` (0-15) on the vCPU with MPIDR `mpidr` (ICC_SGI1R_EL1).
void send_sgi(uint32_t intid, uint64_t mpidr);

uint32_t acknowledge();
void end_of_interrupt(uint32_t intid);

// Called from the IRQ vector: acknowledges, runs the handler, EOIs, until spurious.
void dispatch();

// The redistributor (RD_base) of the calling vCPU; 0 before init_this_vcpu().
uint64_t this_redistributor();

}  // namespace septum::sdk::gic
