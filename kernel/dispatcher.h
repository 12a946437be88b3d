// The scheduling mechanism of one physical CPU. Every vCPU is a server:
// either a reservation (budget per period, scheduled earliest-deadline-first
// and never beyond its budget: a hard reservation) or best effort (round
// robin in fixed quanta, only when no reservation with budget is runnable).
// A best-effort vCPU that wakes up from blocking is boosted: it preempts its
// best-effort peers once, so interrupt-driven work is not stuck behind a
// CPU-bound vCPU's quantum. A reservation that wakes up follows the
// constant-bandwidth-server rule instead.
// The policy — who gets which budget — belongs to the scheduler service; the
// core only enforces it. Times are nanoseconds on a monotonic clock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/status.h"

namespace septum {

struct ServerParams {
  uint64_t budget_ns = 0;  // 0 = best effort
  uint64_t period_ns = 0;
  bool operator==(const ServerParams&) const = default;
};

// The dispatcher's view of a vCPU; embedded in it.
struct SchedEntity {
  ServerParams params;
  uint64_t remaining_ns = 0;  // budget left in the current period
  uint64_t deadline_ns = 0;   // end of the current period
  bool runnable = false;
  bool boosted = false;  // woke up since it last ran; cleared by the next pick
  void* owner = nullptr;  // the vCPU it schedules; opaque to the dispatcher
};

class Dispatcher final {
 public:
  static constexpr size_t kMaxEntities = 32;
  static constexpr uint64_t kDefaultQuantumNs = 10'000'000;
  static constexpr uint64_t kBoostSliceNs = 1'000'000;
  static constexpr uint64_t kNever = ~uint64_t{0};
  // Shortest budget/period accepted: below it the switching overhead would
  // eat the reservation.
  static constexpr uint64_t kMinBudgetNs = 100'000;

  struct Decision {
    SchedEntity* next;        // nullptr: idle
    uint64_t next_event_ns;   // when to call pick() again at the latest (kNever: only on a wake-up)
  };

  Status add(SchedEntity& entity, uint64_t now_ns);
  void remove(SchedEntity& entity);
  Status set_params(SchedEntity& entity, ServerParams params, uint64_t now_ns);
  static Status check_params(ServerParams params);

  // Charges the time the current entity ran since the previous pick, then
  // chooses the entity to run from `now_ns`.
  Decision pick(uint64_t now_ns);

  size_t size() const { return count_; }
  const SchedEntity* current() const { return current_; }

 private:
  void replenish(SchedEntity& entity, uint64_t now_ns);
  void wake_reservation(SchedEntity& entity, uint64_t now_ns);
  void charge(uint64_t now_ns);

  SchedEntity* entities_[kMaxEntities] = {};
  size_t count_ = 0;
  size_t round_robin_next_ = 0;
  SchedEntity* current_ = nullptr;
  uint64_t current_since_ns_ = 0;
  uint64_t quantum_end_ns_ = 0;
};

}  // namespace septum
