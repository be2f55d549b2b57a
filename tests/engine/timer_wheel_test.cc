// The hierarchical timer wheel on a virtual clock: accuracy (never early, at most one tick
// late), order, cancel, cascades across every level and beyond the top, many timers, and no
// allocation after construction (global operator new is counted in this binary).
#include "engine/shard/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tests/support/alloc_counter.h"

namespace ztkit::shard {
namespace {

constexpr std::int64_t ms = 1'000'000;

struct fired_timer {
  std::uint64_t token;
  std::int64_t deadline;
  std::int64_t at;
};

// Steps the clock to each next_deadline() (as a shard or the simulator would) until `end`.
std::vector<fired_timer> run_until(timer_wheel& w, std::int64_t& now, std::int64_t end) {
  std::vector<fired_timer> out;
  for (;;) {
    auto next = w.next_deadline();
    if (!next || *next > end) break;
    EXPECT_GE(*next, now);
    now = std::max(now, *next);
    w.advance(now, [&](std::uint64_t t, std::int64_t d) { out.push_back({t, d, now}); });
  }
  now = end;
  w.advance(now, [&](std::uint64_t t, std::int64_t d) { out.push_back({t, d, now}); });
  return out;
}

TEST(TimerWheel, FiresNoEarlierThanTheDeadlineAndAtMostOneTickLate) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 64});
  std::int64_t now = 0;
  ASSERT_TRUE(w.insert(5 * ms + 300, 1).valid());  // rounds up to 6 ms
  ASSERT_TRUE(w.insert(5 * ms, 2).valid());        // on a tick: exactly 5 ms
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(*w.next_deadline(), 5 * ms);
  std::vector<std::uint64_t> got;
  auto collect = [&](std::uint64_t t, std::int64_t) { got.push_back(t); };
  EXPECT_EQ(w.advance(5 * ms - 1, collect), 0u);
  EXPECT_EQ(w.advance(5 * ms, collect), 1u);
  EXPECT_EQ(got, std::vector<std::uint64_t>{2});
  EXPECT_EQ(*w.next_deadline(), 6 * ms);
  EXPECT_EQ(w.advance(5 * ms + 999'999, collect), 0u);
  EXPECT_EQ(w.advance(6 * ms, collect), 1u);
  EXPECT_EQ(got.back(), 1u);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.next_deadline());
  (void)now;
}

TEST(TimerWheel, RandomDeadlinesOnEveryLevelFireInOrderWithinATick) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 20000});
  std::uint64_t x = 12345;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::int64_t now = 3 * ms + 17;  // not tick-aligned
  w.advance(now, [](std::uint64_t, std::int64_t) {});
  std::vector<std::int64_t> deadlines;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    // Spread over all four levels: up to ~3 hours, skewed toward short timeouts.
    const std::int64_t span = std::int64_t{1} << (rnd() % 44);
    const std::int64_t d = now + static_cast<std::int64_t>(rnd() % static_cast<std::uint64_t>(span));
    deadlines.push_back(d);
    ASSERT_TRUE(w.insert(d, i).valid());
  }
  const auto fired = run_until(w, now, 4LL * 3600 * 1000 * ms);
  ASSERT_EQ(fired.size(), deadlines.size());
  std::int64_t last_tick = -1;
  for (const auto& f : fired) {
    EXPECT_EQ(f.deadline, deadlines[f.token]);
    EXPECT_GE(f.at, f.deadline) << f.token;
    EXPECT_LT(f.at, f.deadline + 1 * ms) << f.token;
    const std::int64_t tick = (f.deadline + ms - 1) / ms;
    EXPECT_GE(tick, last_tick);  // deadline order at tick granularity
    last_tick = std::max(last_tick, tick);
  }
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CancelIsImmediateAndStaleHandlesAreIgnored) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 8});
  timer_handle a = w.insert(10 * ms, 1);
  timer_handle b = w.insert(10 * ms, 2);
  timer_handle c = w.insert(100 * ms, 3);  // level 1
  timer_handle d = w.insert(-5, 4);        // already due
  EXPECT_TRUE(w.armed(a));
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.armed(a));
  EXPECT_FALSE(w.cancel(a));
  EXPECT_TRUE(w.cancel(c));
  EXPECT_TRUE(w.cancel(d));
  EXPECT_EQ(w.size(), 1u);
  std::vector<std::uint64_t> got;
  w.advance(1000 * ms, [&](std::uint64_t t, std::int64_t) { got.push_back(t); });
  EXPECT_EQ(got, std::vector<std::uint64_t>{2});
  EXPECT_FALSE(w.cancel(b));  // fired
  // The node is reused with a new generation: the old handle does not touch the new timer.
  timer_handle e = w.insert(2000 * ms, 5);
  EXPECT_FALSE(w.cancel(a));
  EXPECT_TRUE(w.armed(e));
  EXPECT_FALSE(w.next_deadline() == std::nullopt);
  EXPECT_FALSE(w.cancel(timer_handle{}));
}

TEST(TimerWheel, CallbacksMayCancelAndRearm) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 16});
  timer_handle victim;
  std::vector<std::uint64_t> got;
  int rearms = 0;
  std::int64_t now = 0;
  auto cb = [&](std::uint64_t t, std::int64_t d) {
    got.push_back(t);
    if (t == 1) {
      EXPECT_TRUE(w.cancel(victim));  // due in the same tick, not yet fired
    }
    if (t == 2 && rearms++ < 3) w.insert(d + 10 * ms, 2);  // periodic
    if (t == 3) w.insert(now, 4);                         // due now: fires on the next call
  };
  w.insert(5 * ms, 1);
  victim = w.insert(5 * ms, 99);
  w.insert(7 * ms, 2);
  w.insert(6 * ms, 3);
  for (now = 0; now <= 60 * ms; now += ms / 2) w.advance(now, cb);
  EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 3, 4, 2, 2, 2, 2}));
}

TEST(TimerWheel, FarTimersCascadeFromTheTopAndBeyondItsRange) {
  // A small tick so that the top level's range (64^4 ticks) is short: 16.7 s at 1 us.
  timer_wheel w({.tick_ns = 1000, .capacity = 16});
  const std::int64_t range = std::int64_t{1} << 24;  // ticks
  std::vector<std::int64_t> deadlines = {
      63 * 1000, 64 * 1000, 4095 * 1000, 4096 * 1000, 262143 * 1000, 262144 * 1000,
      (range - 1) * 1000, range * 1000, 3 * range * 1000 + 12345, 70 * range * 1000 + 1};
  for (std::size_t i = 0; i < deadlines.size(); ++i) w.insert(deadlines[i], i);
  std::int64_t now = 0;
  const auto fired = run_until(w, now, 71 * range * 1000);
  ASSERT_EQ(fired.size(), deadlines.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].token, i);
    EXPECT_GE(fired[i].at, deadlines[i]);
    EXPECT_LT(fired[i].at, deadlines[i] + 1000);
  }
}

TEST(TimerWheel, ALongJumpFiresEverythingDueInOrder) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 1024});
  for (std::uint64_t i = 0; i < 1000; ++i) w.insert(static_cast<std::int64_t>(1000 - i) * 7 * ms, i);
  std::vector<std::int64_t> order;
  EXPECT_EQ(w.advance(10'000 * ms, [&](std::uint64_t, std::int64_t d) { order.push_back(d); }),
            1000u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(TimerWheel, AFullWheelRefusesInsteadOfGrowing) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 2});
  EXPECT_TRUE(w.insert(1 * ms, 1).valid());
  EXPECT_TRUE(w.insert(2 * ms, 2).valid());
  EXPECT_FALSE(w.insert(3 * ms, 3).valid());
  w.advance(1 * ms, [](std::uint64_t, std::int64_t) {});
  EXPECT_TRUE(w.insert(3 * ms, 3).valid());
}

TEST(TimerWheel, NothingAllocatesAfterConstruction) {
  timer_wheel w({.tick_ns = 1 * ms, .capacity = 10000});
  std::vector<timer_handle> handles(10000);
  std::uint64_t x = 99;
  std::uint64_t fired = 0;
  const std::uint64_t before = ztkit::testing::allocation_count();
  std::int64_t now = 0;
  for (int round = 0; round < 20; ++round) {
    for (std::size_t i = 0; i < handles.size(); ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      handles[i] = w.insert(now + static_cast<std::int64_t>((x >> 33) % (100'000 * ms)), i);
    }
    for (std::size_t i = 0; i < handles.size(); i += 2) w.cancel(handles[i]);
    now += 200'000 * ms;
    fired += w.advance(now, [](std::uint64_t, std::int64_t) {});
    (void)w.next_deadline();
  }
  EXPECT_EQ(ztkit::testing::allocation_count() - before, 0u);
  EXPECT_EQ(fired, 20u * 5000);
}

}  // namespace
}  // namespace ztkit::shard
