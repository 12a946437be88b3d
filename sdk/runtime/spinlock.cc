#include "sdk/runtime/spinlock.h"

#include "sdk/runtime/domain.h"
#include "sdk/runtime/sysreg.h"

namespace septum::sdk {

void Spinlock::lock() {
  bool irq_was_enabled = irq_enabled();
  irq_disable();
  uint32_t me = this_vcpu();
  choosing_[me].store(true);
  uint32_t highest = 0;
  for (const auto& ticket : ticket_) {
    uint32_t t = ticket.load();
    if (t > highest) highest = t;
  }
  ticket_[me].store(highest + 1);
  choosing_[me].store(false);
  uint32_t mine = highest + 1;
  for (uint32_t other = 0; other < kParticipants; ++other) {
    if (other == me) continue;
    while (choosing_[other].load()) cpu_relax();
    for (;;) {
      uint32_t t = ticket_[other].load();
      if (t == 0 || t > mine || (t == mine && other > me)) break;
      cpu_relax();
    }
  }
  irq_was_enabled_[me] = irq_was_enabled;
}

void Spinlock::unlock() {
  uint32_t me = this_vcpu();
  bool restore_irq = irq_was_enabled_[me];
  ticket_[me].store(0);
  if (restore_irq) irq_enable();
}

bool Spinlock::held_by_this_vcpu() const { return ticket_[this_vcpu()].load() != 0; }

}  // namespace septum::sdk
