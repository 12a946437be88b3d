// The physical GICv3: distributor, one redistributor per CPU and the system
// register CPU interface. Group 1 non-secure interrupts only.
#pragma once

#include <cstdint>

#include "kernel/platform.h"
#include "kernel/status.h"

namespace septum::aarch64 {

class GicV3 final {
 public:
  struct Info {
    uint32_t spi_count;
    uint32_t list_registers;
    uint32_t priority_bits;
  };

  // Distributor: all SPIs disabled, group 1, routed to the boot CPU.
  Status init_distributor(const Platform& platform, uint64_t boot_mpidr);
  // Must run on the CPU it sets up: wakes its redistributor, disables its
  // SGIs/PPIs and enables the system register interface.
  Status init_cpu(const Platform& platform, uint64_t mpidr, uint64_t& redistributor);
  void enable_ppi(uint64_t redistributor, uint32_t intid);

  uint32_t acknowledge();
  void end_of_interrupt(uint32_t intid);
  static constexpr bool is_spurious(uint32_t intid) { return intid >= 1020 && intid <= 1023; }

  Info info() const;

 private:
  uint64_t distributor_ = 0;
};

}  // namespace septum::aarch64
