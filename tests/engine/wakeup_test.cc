// wakeup: the sleep/notify protocol loses no wake-up, and a consumer that is awake costs its
// producer no eventfd write.
#include "engine/buf/wakeup.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "engine/buf/spsc_ring.h"

namespace ztkit::buf {
namespace {

using namespace std::chrono_literals;

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(Wakeup, SkippedWhileConsumerAwake) {
  wakeup w;
  ASSERT_TRUE(w.valid());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(w.notify());
  EXPECT_FALSE(readable(w.fd()));
  auto c = w.counters();
  EXPECT_EQ(c.written, 0u);
  EXPECT_EQ(c.skipped, 100u);
  std::atomic<std::uint64_t> mine{0};
  EXPECT_FALSE(w.notify(mine));
  EXPECT_EQ(mine.load(), 1u);
  EXPECT_EQ(w.counters().skipped, 100u);
}

TEST(Wakeup, WrittenOnceWhenConsumerSleeps) {
  wakeup w;
  w.prepare_sleep();
  EXPECT_TRUE(w.notify());
  EXPECT_FALSE(w.notify());  // the first producer cleared the flag: one write per sleep
  EXPECT_TRUE(readable(w.fd()));
  EXPECT_TRUE(w.after_wake());
  EXPECT_FALSE(readable(w.fd()));
  EXPECT_FALSE(w.after_wake());  // nothing pending
  auto c = w.counters();
  EXPECT_EQ(c.written, 1u);
  EXPECT_EQ(c.skipped, 1u);
  EXPECT_EQ(c.sleeps, 1u);
  EXPECT_EQ(c.woken, 1u);
}

TEST(Wakeup, CancelledSleepIsNotWritten) {
  wakeup w;
  w.prepare_sleep();
  w.cancel_sleep();
  EXPECT_FALSE(w.notify());
  EXPECT_FALSE(readable(w.fd()));
}

TEST(Wakeup, SleepUnlessReturnsAtOnceWithWork) {
  wakeup w;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(w.sleep_unless([] { return true; }, 5000));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_FALSE(w.sleep_unless([] { return false; }, 10));  // times out: not woken
}

// Ping-pong: each side sleeps (with a generous timeout, so that a lost wake-up shows as a
// timeout instead of a hang) until the other hands it a token. A lost wake-up would cost
// 2 s; the whole run must stay far below that per round.
TEST(Wakeup, PingPongLosesNoWakeup) {
  constexpr int rounds = 20'000;
  constexpr int timeout_ms = 2000;
  spsc_ring<int> to_b(4), to_a(4);
  wakeup wa, wb;
  std::atomic<int> timeouts{0};
  auto wait_pop = [&](spsc_ring<int>& r, wakeup& w) {
    for (;;) {
      if (auto v = r.try_pop()) return *v;
      // Sleep unless the re-check (after announcing the sleep) finds the token.
      const auto t0 = std::chrono::steady_clock::now();
      w.sleep_unless([&] { return !r.empty(); }, timeout_ms);
      if (std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(timeout_ms)) ++timeouts;
    }
  };
  std::thread b([&] {
    for (int i = 0; i < rounds; ++i) {
      const int v = wait_pop(to_b, wb);
      while (!to_a.try_push(v + 1)) std::this_thread::yield();
      wa.notify();
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  int v = 0;
  for (int i = 0; i < rounds; ++i) {
    while (!to_b.try_push(int{v})) std::this_thread::yield();
    wb.notify();
    const int got = wait_pop(to_a, wa);
    ASSERT_EQ(got, v + 1);
    v = got + 1;
  }
  b.join();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(timeouts.load(), 0);
  EXPECT_LT(elapsed, 20s);
  // Most hand-offs found the other side asleep (or going to sleep) and wrote the eventfd.
  const auto ca = wa.counters(), cb = wb.counters();
  EXPECT_EQ(ca.written + ca.skipped, static_cast<std::uint64_t>(rounds));
  EXPECT_EQ(cb.written + cb.skipped, static_cast<std::uint64_t>(rounds));
  EXPECT_GT(ca.written + cb.written, 0u);
}

// Many items, a consumer that sleeps whenever it runs dry, a producer that never waits for it:
// every item arrives, and no sleep runs into its timeout.
TEST(Wakeup, StreamWithSleepingConsumer) {
  constexpr std::uint64_t n = 200'000;
  spsc_ring<std::uint64_t> r(256);
  wakeup w;
  std::uint64_t timeouts = 0;
  std::thread consumer([&] {
    std::uint64_t expect = 0;
    while (expect < n) {
      if (r.consume([&](std::uint64_t&& v) { EXPECT_EQ(v, expect); ++expect; })) continue;
      const auto t0 = std::chrono::steady_clock::now();
      w.sleep_unless([&] { return !r.empty(); }, 2000);
      if (std::chrono::steady_clock::now() - t0 >= 2s) ++timeouts;
    }
  });
  for (std::uint64_t i = 0; i < n; ++i) {
    while (!r.try_push(std::uint64_t{i})) std::this_thread::yield();
    if (i % 128 == 0) std::this_thread::yield();  // let the consumer run dry
    w.notify();
  }
  consumer.join();
  EXPECT_EQ(timeouts, 0u);
  const auto c = w.counters();
  EXPECT_EQ(c.written + c.skipped, n);
}

}  // namespace
}  // namespace ztkit::buf
