#include "kernel/dispatcher.h"

namespace septum {

Status Dispatcher::check_params(ServerParams params) {
  if (params.budget_ns == 0 && params.period_ns == 0) return Status::ok();
  if (params.budget_ns < kMinBudgetNs || params.period_ns < params.budget_ns) {
    return Status::error("dispatcher: budget {} ns / period {} ns is not a valid reservation (budget >= {} ns, "
                         "budget <= period)",
                         params.budget_ns, params.period_ns, kMinBudgetNs);
  }
  return Status::ok();
}

Status Dispatcher::add(SchedEntity& entity, uint64_t now_ns) {
  SEPTUM_TRY(check_params(entity.params));
  if (count_ == kMaxEntities) return Status::error("dispatcher: more than {} vCPUs on one CPU", kMaxEntities);
  for (size_t i = 0; i < count_; ++i) {
    if (entities_[i] == &entity) return Status::error("dispatcher: vCPU added twice");
  }
  entity.remaining_ns = entity.params.budget_ns;
  entity.deadline_ns = now_ns + entity.params.period_ns;
  entities_[count_++] = &entity;
  return Status::ok();
}

void Dispatcher::remove(SchedEntity& entity) {
  for (size_t i = 0; i < count_; ++i) {
    if (entities_[i] != &entity) continue;
    for (size_t j = i; j + 1 < count_; ++j) entities_[j] = entities_[j + 1];
    entities_[--count_] = nullptr;
    if (round_robin_next_ > i) --round_robin_next_;
    if (round_robin_next_ >= count_) round_robin_next_ = 0;
    if (current_ == &entity) current_ = nullptr;
    return;
  }
}

Status Dispatcher::set_params(SchedEntity& entity, ServerParams params, uint64_t now_ns) {
  SEPTUM_TRY(check_params(params));
  if (&entity == current_) charge(now_ns);
  entity.params = params;
  entity.remaining_ns = params.budget_ns;
  entity.deadline_ns = now_ns + params.period_ns;
  return Status::ok();
}

void Dispatcher::replenish(SchedEntity& entity, uint64_t now_ns) {
  if (entity.params.budget_ns == 0 || entity.deadline_ns > now_ns) return;
  // Whole periods that passed unused are not carried over.
  uint64_t periods = (now_ns - entity.deadline_ns) / entity.params.period_ns + 1;
  entity.deadline_ns += periods * entity.params.period_ns;
  entity.remaining_ns = entity.params.budget_ns;
}

// The constant-bandwidth-server rule on wake-up: budget left over from a
// sleep may not be spent faster than the reservation's rate before its
// deadline; if it would be, the reservation starts a fresh period now.
void Dispatcher::wake_reservation(SchedEntity& entity, uint64_t now_ns) {
  uint64_t until_deadline = entity.deadline_ns > now_ns ? entity.deadline_ns - now_ns : 0;
  // remaining / until_deadline > budget / period, without dividing.
  __uint128_t spend_rate = static_cast<__uint128_t>(entity.remaining_ns) * entity.params.period_ns;
  __uint128_t allowed_rate = static_cast<__uint128_t>(until_deadline) * entity.params.budget_ns;
  if (spend_rate > allowed_rate) {
    entity.deadline_ns = now_ns + entity.params.period_ns;
    entity.remaining_ns = entity.params.budget_ns;
  }
}

void Dispatcher::charge(uint64_t now_ns) {
  if (!current_) return;
  uint64_t ran = now_ns > current_since_ns_ ? now_ns - current_since_ns_ : 0;
  if (current_->params.budget_ns != 0) current_->remaining_ns -= ran < current_->remaining_ns ? ran : current_->remaining_ns;
  current_since_ns_ = now_ns;
}

Dispatcher::Decision Dispatcher::pick(uint64_t now_ns) {
  charge(now_ns);
  SchedEntity* previous = current_;
  uint64_t next_replenishment = kNever;
  SchedEntity* earliest = nullptr;
  for (size_t i = 0; i < count_; ++i) {
    SchedEntity& e = *entities_[i];
    if (e.params.budget_ns == 0) continue;
    replenish(e, now_ns);
    if (e.boosted) {
      wake_reservation(e, now_ns);
      e.boosted = false;
    }
    if (e.runnable && e.remaining_ns > 0 && (!earliest || e.deadline_ns < earliest->deadline_ns)) earliest = &e;
    // A reservation waiting for its next period may preempt whatever runs then.
    if (e.runnable && e.remaining_ns == 0 && e.deadline_ns < next_replenishment) next_replenishment = e.deadline_ns;
  }

  Decision decision{nullptr, next_replenishment};
  if (earliest) {
    decision.next = earliest;
    // Budget is spent by the end of the period at the latest: what is left
    // then is not carried into the next one.
    uint64_t exhausted = now_ns + earliest->remaining_ns;
    if (earliest->deadline_ns < exhausted) exhausted = earliest->deadline_ns;
    // Another reservation's new period may bring an earlier deadline.
    for (size_t i = 0; i < count_; ++i) {
      SchedEntity& e = *entities_[i];
      if (&e != earliest && e.params.budget_ns != 0 && e.runnable && e.deadline_ns < exhausted) exhausted = e.deadline_ns;
    }
    decision.next_event_ns = exhausted < decision.next_event_ns ? exhausted : decision.next_event_ns;
  } else {
    SchedEntity* boosted = nullptr;
    for (size_t n = 0; n < count_ && !boosted; ++n) {
      SchedEntity& e = *entities_[(round_robin_next_ + n) % count_];
      if (e.runnable && e.boosted && e.params.budget_ns == 0) boosted = &e;
    }
    bool keep = !boosted && previous && previous->runnable && previous->params.budget_ns == 0 &&
                now_ns < quantum_end_ns_;
    SchedEntity* chosen = keep ? previous : boosted;
    if (boosted) {
      boosted->boosted = false;
      // The best-effort vCPU it preempts resumes right after the boost.
      for (size_t i = 0; i < count_; ++i) {
        if (entities_[i] == previous && previous->params.budget_ns == 0) round_robin_next_ = i;
      }
    }
    for (size_t n = 0; n < count_ && !chosen; ++n) {
      SchedEntity& e = *entities_[(round_robin_next_ + n) % count_];
      if (e.runnable && e.params.budget_ns == 0) {
        chosen = &e;
        round_robin_next_ = (round_robin_next_ + n + 1) % count_;
      }
    }
    if (chosen) {
      // A boost is a short slice, so waking up often cannot starve the others.
      if (chosen == boosted) {
        quantum_end_ns_ = now_ns + kBoostSliceNs;
      } else if (!keep) {
        quantum_end_ns_ = now_ns + kDefaultQuantumNs;
      }
      decision.next = chosen;
      decision.next_event_ns = quantum_end_ns_ < decision.next_event_ns ? quantum_end_ns_ : decision.next_event_ns;
    }
  }
  current_ = decision.next;
  current_since_ns_ = now_ns;
  return decision;
}

}  // namespace septum
