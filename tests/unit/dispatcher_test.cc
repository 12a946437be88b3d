// The dispatcher's EDF/budget logic and round robin, driven with explicit times.
#include "kernel/dispatcher.h"

#include <gtest/gtest.h>

namespace septum {
namespace {

constexpr uint64_t kMs = 1'000'000;

SchedEntity reservation(uint64_t budget_ms, uint64_t period_ms) {
  SchedEntity e;
  e.params = {budget_ms * kMs, period_ms * kMs};
  e.runnable = true;
  return e;
}

SchedEntity best_effort() {
  SchedEntity e;
  e.runnable = true;
  return e;
}

TEST(Dispatcher, IdleWithNothingRunnable) {
  Dispatcher d;
  SchedEntity a = best_effort();
  a.runnable = false;
  ASSERT_TRUE(d.add(a, 0).is_ok());
  auto decision = d.pick(0);
  EXPECT_EQ(decision.next, nullptr);
  EXPECT_EQ(decision.next_event_ns, Dispatcher::kNever);
}

TEST(Dispatcher, EarliestDeadlineFirstAmongReservations) {
  Dispatcher d;
  SchedEntity slow = reservation(2, 20);
  SchedEntity fast = reservation(1, 5);
  ASSERT_TRUE(d.add(slow, 0).is_ok());
  ASSERT_TRUE(d.add(fast, 0).is_ok());
  auto first = d.pick(0);
  EXPECT_EQ(first.next, &fast);
  EXPECT_EQ(first.next_event_ns, 1 * kMs) << "runs until its budget is spent";
  auto second = d.pick(1 * kMs);
  EXPECT_EQ(second.next, &slow);
  EXPECT_EQ(fast.remaining_ns, 0u);
  EXPECT_EQ(second.next_event_ns, 3 * kMs);
}

TEST(Dispatcher, ReservationsPreemptBestEffort) {
  Dispatcher d;
  SchedEntity background = best_effort();
  SchedEntity rt = reservation(1, 10);
  ASSERT_TRUE(d.add(background, 0).is_ok());
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &rt);
  auto after_budget = d.pick(1 * kMs);
  EXPECT_EQ(after_budget.next, &background);
  EXPECT_EQ(after_budget.next_event_ns, 10 * kMs) << "the reservation's next period ends the best-effort run";
  auto replenished = d.pick(10 * kMs);
  EXPECT_EQ(replenished.next, &rt);
  EXPECT_EQ(rt.remaining_ns, 1 * kMs);
  EXPECT_EQ(rt.deadline_ns, 20 * kMs);
}

TEST(Dispatcher, BudgetLeftAtTheDeadlineIsNotCarriedOver) {
  Dispatcher d;
  SchedEntity rt = reservation(5, 10);
  rt.runnable = false;
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  d.pick(0);
  rt.runnable = true;
  auto late = d.pick(8 * kMs);
  EXPECT_EQ(late.next, &rt);
  EXPECT_EQ(late.next_event_ns, 10 * kMs) << "stops at its deadline, not after 5 ms";
}

TEST(Dispatcher, WakingReservationStartsAFreshPeriodWhenItsBudgetWouldOverrun) {
  Dispatcher d;
  SchedEntity rt = reservation(4, 10);
  rt.runnable = false;
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  d.pick(0);
  rt.runnable = true;
  rt.boosted = true;  // wakes at 8 ms with 4 ms left and 2 ms to its deadline
  auto woken = d.pick(8 * kMs);
  EXPECT_EQ(woken.next, &rt);
  EXPECT_EQ(rt.deadline_ns, 18 * kMs);
  EXPECT_EQ(rt.remaining_ns, 4 * kMs);
  EXPECT_FALSE(rt.boosted);
}

TEST(Dispatcher, WakingReservationKeepsItsPeriodWhenTheRateAllows) {
  Dispatcher d;
  SchedEntity rt = reservation(2, 10);
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &rt);
  rt.runnable = false;  // blocks after 1 ms
  EXPECT_EQ(d.pick(1 * kMs).next, nullptr);
  rt.runnable = true;
  rt.boosted = true;  // wakes at 2 ms: 1 ms left over 8 ms is within 2/10
  EXPECT_EQ(d.pick(2 * kMs).next, &rt);
  EXPECT_EQ(rt.deadline_ns, 10 * kMs);
  EXPECT_EQ(rt.remaining_ns, 1 * kMs);
}

TEST(Dispatcher, HardReservationDoesNotRunBeyondBudget) {
  Dispatcher d;
  SchedEntity rt = reservation(2, 10);
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &rt);
  auto exhausted = d.pick(2 * kMs);
  EXPECT_EQ(exhausted.next, nullptr);
  EXPECT_EQ(exhausted.next_event_ns, 10 * kMs);
}

TEST(Dispatcher, BlockedReservationKeepsItsBudget) {
  Dispatcher d;
  SchedEntity rt = reservation(2, 10);
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  d.pick(0);
  rt.runnable = false;  // blocks after 1 ms
  EXPECT_EQ(d.pick(1 * kMs).next, nullptr);
  EXPECT_EQ(rt.remaining_ns, 1 * kMs);
  rt.runnable = true;
  auto resumed = d.pick(4 * kMs);
  EXPECT_EQ(resumed.next, &rt);
  EXPECT_EQ(resumed.next_event_ns, 5 * kMs);
}

TEST(Dispatcher, UnusedPeriodsAreNotAccumulated) {
  Dispatcher d;
  SchedEntity rt = reservation(1, 10);
  rt.runnable = false;
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  d.pick(0);
  rt.runnable = true;
  auto late = d.pick(35 * kMs);
  EXPECT_EQ(late.next, &rt);
  EXPECT_EQ(rt.remaining_ns, 1 * kMs);
  EXPECT_EQ(rt.deadline_ns, 40 * kMs);
}

TEST(Dispatcher, RoundRobinInQuanta) {
  Dispatcher d;
  SchedEntity a = best_effort(), b = best_effort(), c = best_effort();
  for (SchedEntity* e : {&a, &b, &c}) ASSERT_TRUE(d.add(*e, 0).is_ok());
  const uint64_t q = Dispatcher::kDefaultQuantumNs;
  auto first = d.pick(0);
  EXPECT_EQ(first.next, &a);
  EXPECT_EQ(first.next_event_ns, q);
  EXPECT_EQ(d.pick(q / 2).next, &a) << "keeps the CPU until its quantum ends";
  EXPECT_EQ(d.pick(q).next, &b);
  EXPECT_EQ(d.pick(2 * q).next, &c);
  EXPECT_EQ(d.pick(3 * q).next, &a);
}

TEST(Dispatcher, RoundRobinSkipsBlockedAndYieldsWhenCurrentBlocks) {
  Dispatcher d;
  SchedEntity a = best_effort(), b = best_effort(), c = best_effort();
  for (SchedEntity* e : {&a, &b, &c}) ASSERT_TRUE(d.add(*e, 0).is_ok());
  b.runnable = false;
  EXPECT_EQ(d.pick(0).next, &a);
  a.runnable = false;  // a blocks (WFI) before its quantum ends
  EXPECT_EQ(d.pick(1000).next, &c);
}

TEST(Dispatcher, WokenVcpuPreemptsBestEffortOnce) {
  Dispatcher d;
  SchedEntity spinner = best_effort(), sleeper = best_effort();
  sleeper.runnable = false;
  ASSERT_TRUE(d.add(spinner, 0).is_ok());
  ASSERT_TRUE(d.add(sleeper, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &spinner);
  sleeper.runnable = true;
  sleeper.boosted = true;
  auto woken = d.pick(1000);
  EXPECT_EQ(woken.next, &sleeper) << "does not wait for the spinner's quantum";
  EXPECT_FALSE(sleeper.boosted);
  EXPECT_EQ(woken.next_event_ns, 1000 + Dispatcher::kBoostSliceNs) << "for a short slice";
  EXPECT_EQ(d.pick(1000 + Dispatcher::kBoostSliceNs).next, &spinner) << "then round robin resumes";
}

TEST(Dispatcher, BoostDoesNotOvertakeReservations) {
  Dispatcher d;
  SchedEntity rt = reservation(1, 10), woken = best_effort();
  woken.boosted = true;
  ASSERT_TRUE(d.add(rt, 0).is_ok());
  ASSERT_TRUE(d.add(woken, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &rt);
  EXPECT_EQ(d.pick(1 * kMs).next, &woken);
}

TEST(Dispatcher, OvercommitEveryoneRuns) {
  Dispatcher d;
  SchedEntity e[6];
  for (auto& entity : e) {
    entity = best_effort();
    ASSERT_TRUE(d.add(entity, 0).is_ok());
  }
  int runs[6] = {};
  uint64_t now = 0;
  for (int i = 0; i < 60; ++i) {
    auto decision = d.pick(now);
    ASSERT_NE(decision.next, nullptr);
    ++runs[decision.next - e];
    now = decision.next_event_ns;
  }
  for (int r : runs) EXPECT_EQ(r, 10);
}

TEST(Dispatcher, SetParamsTurnsBestEffortIntoReservation) {
  Dispatcher d;
  SchedEntity a = best_effort(), b = best_effort();
  ASSERT_TRUE(d.add(a, 0).is_ok());
  ASSERT_TRUE(d.add(b, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &a);
  ASSERT_TRUE(d.set_params(b, {1 * kMs, 4 * kMs}, 100).is_ok());
  EXPECT_EQ(d.pick(200).next, &b);
}

TEST(Dispatcher, RejectsInvalidReservations) {
  Dispatcher d;
  SchedEntity e;
  EXPECT_FALSE(d.set_params(e, {5 * kMs, 1 * kMs}, 0).is_ok()) << "budget above period";
  EXPECT_FALSE(d.set_params(e, {1, 10}, 0).is_ok()) << "budget below the minimum";
  EXPECT_FALSE(d.set_params(e, {1 * kMs, 0}, 0).is_ok());
  e.params = {5 * kMs, 1 * kMs};
  EXPECT_FALSE(d.add(e, 0).is_ok());
}

TEST(Dispatcher, CapacityAndRemoval) {
  Dispatcher d;
  SchedEntity e[Dispatcher::kMaxEntities + 1];
  for (size_t i = 0; i < Dispatcher::kMaxEntities; ++i) ASSERT_TRUE(d.add(e[i], 0).is_ok());
  EXPECT_FALSE(d.add(e[Dispatcher::kMaxEntities], 0).is_ok());
  EXPECT_FALSE(d.add(e[0], 0).is_ok()) << "added twice";
  d.remove(e[0]);
  EXPECT_EQ(d.size(), Dispatcher::kMaxEntities - 1);
  EXPECT_TRUE(d.add(e[Dispatcher::kMaxEntities], 0).is_ok());
}

TEST(Dispatcher, RemovingTheCurrentEntity) {
  Dispatcher d;
  SchedEntity a = best_effort(), b = best_effort();
  ASSERT_TRUE(d.add(a, 0).is_ok());
  ASSERT_TRUE(d.add(b, 0).is_ok());
  EXPECT_EQ(d.pick(0).next, &a);
  d.remove(a);
  EXPECT_EQ(d.current(), nullptr);
  EXPECT_EQ(d.pick(10).next, &b);
}

}  // namespace
}  // namespace septum
