// The per-core loop: two shards on the simulated network stepped by virtual time, timers that
// drive sends, a shard on its own thread stopped with traffic in flight, CPU pinning, and a
// steady state that allocates nothing (global operator new is counted in this binary).
#include "engine/shard/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/io/sim/sim_network.h"
#include "tests/support/alloc_counter.h"

namespace ztkit::shard {
namespace {

using io::inet_address;
using io::rx_datagram;
using io::sim::sim_network;

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t us = 1'000;

shard::backend_factory sim_factory(sim_network& net) {
  return [&net](buf::buffer_pool& pool) -> result<std::unique_ptr<io::backend>> {
    return std::unique_ptr<io::backend>(net.make_endpoint(pool));
  };
}

shard_config config_at(std::uint8_t last, std::uint16_t port, std::size_t buffers = 256) {
  shard_config c;
  c.id = last;
  c.pool = {.slab_size = 2048, .count = buffers, .headroom = 128};
  c.socket.bind = inet_address::v4({10, 0, 0, last}, port);
  return c;
}

// Sends every datagram back where it came from, moving the rx buffer into the tx queue.
struct echo_handler : shard_handler {
  std::uint64_t echoed = 0;
  void on_datagrams(shard& s, std::span<rx_datagram> batch, std::int64_t) override {
    for (auto& d : batch) echoed += s.send(std::move(d.buffer), d.from);
  }
};

// Sends a numbered, timestamped ping every `interval` from a timer; measures round trips.
struct ping_handler : shard_handler {
  inet_address peer;
  std::int64_t interval = 10 * ms;
  std::size_t size = 64;
  std::uint64_t limit = ~std::uint64_t{0};
  std::uint64_t sent = 0, received = 0;
  std::int64_t min_rtt = INT64_MAX, max_rtt = 0;

  void on_timer(shard& s, std::uint64_t, std::int64_t now) override {
    if (sent >= limit) return;
    buf::packet_buffer b = s.pool().get();
    if (b) {
      std::uint8_t* p = b.append(size);
      std::memset(p, 0, size);
      std::memcpy(p, &now, sizeof now);
      if (s.send(std::move(b), peer)) ++sent;
    }
    s.arm(now + interval, 0);
  }
  void on_datagrams(shard&, std::span<rx_datagram> batch, std::int64_t now) override {
    for (auto& d : batch) {
      std::int64_t t;
      std::memcpy(&t, d.buffer.data(), sizeof t);
      min_rtt = std::min(min_rtt, now - t);
      max_rtt = std::max(max_rtt, now - t);
      ++received;
    }
  }
};

// Steps every shard at each next event of the network or of a shard's timers until `end`.
void drive(sim_network& net, std::initializer_list<shard*> shards, std::int64_t end) {
  for (;;) {
    std::optional<std::int64_t> next = net.next_event_time();
    for (shard* s : shards) {
      auto d = s->timers().next_deadline();
      if (d && (!next || *d < *next)) next = d;
    }
    if (!next || *next > end) break;
    const std::int64_t t = std::max(*next, net.now());
    net.advance_to(t);
    for (shard* s : shards) s->run_once(t);
  }
  net.advance_to(end);
  for (shard* s : shards) s->run_once(end);
}

TEST(Shard, TwoShardsExchangeDatagramsOnVirtualTime) {
  sim_network::config nc;
  nc.default_link.delay_ns = 2 * ms;
  sim_network net(nc);
  ping_handler ping;
  echo_handler echo;
  shard a(config_at(1, 9993), sim_factory(net), ping);
  shard b(config_at(2, 9993), sim_factory(net), echo);
  ASSERT_TRUE(a.open().ok());
  ASSERT_TRUE(b.open().ok());
  ping.peer = b.local_address();
  ping.limit = 100;
  a.arm(0, 0);
  drive(net, {&a, &b}, 2000 * ms);
  EXPECT_EQ(ping.sent, 100u);
  EXPECT_EQ(ping.received, 100u);
  EXPECT_EQ(echo.echoed, 100u);
  EXPECT_EQ(ping.min_rtt, 4 * ms);  // 2 ms each way, virtual time: exact
  EXPECT_EQ(ping.max_rtt, 4 * ms);
  EXPECT_EQ(a.counters().timers_fired, 100u + 1);  // the last one sees the limit
  EXPECT_EQ(a.counters().datagrams_out, 100u);
  EXPECT_EQ(b.counters().datagrams_in, 100u);
  EXPECT_EQ(a.pool().available(), a.pool().capacity());
  EXPECT_EQ(b.pool().available(), b.pool().capacity());
}

TEST(Shard, TimersFireOnTimeUnderLossAndJitter) {
  sim_network::config nc;
  nc.seed = 3;
  nc.default_link = {.loss = 0.2, .delay_ns = 5 * ms, .jitter_ns = 1 * ms};
  sim_network net(nc);
  ping_handler ping;
  ping.interval = 1 * ms;
  ping.limit = 1000;
  echo_handler echo;
  shard a(config_at(1, 1), sim_factory(net), ping);
  shard b(config_at(2, 2), sim_factory(net), echo);
  ASSERT_TRUE(a.open().ok() && b.open().ok());
  ping.peer = b.local_address();
  a.arm(0, 0);
  drive(net, {&a, &b}, 2000 * ms);
  EXPECT_EQ(ping.sent, 1000u);
  // Each way loses 20%: about 64% come back.
  EXPECT_NEAR(static_cast<double>(ping.received) / ping.sent, 0.64, 0.05);
  EXPECT_GE(ping.min_rtt, 10 * ms);
  EXPECT_LE(ping.max_rtt, 12 * ms);
}

TEST(Shard, SteadyStateAllocatesNothing) {
  sim_network::config nc;
  nc.default_link.delay_ns = 100 * us;
  sim_network net(nc);
  ping_handler ping;
  ping.interval = 10 * us;  // ten pings in flight each way
  ping.size = 1400;
  echo_handler echo;
  shard_config ca = config_at(1, 1);
  ca.timers.tick_ns = 1 * us;  // 10 us pings need a finer tick than the 1 ms default
  shard a(ca, sim_factory(net), ping);
  shard b(config_at(2, 2), sim_factory(net), echo);
  ASSERT_TRUE(a.open().ok() && b.open().ok());
  ping.peer = b.local_address();
  a.arm(0, 0);
  drive(net, {&a, &b}, 20 * ms);  // warm-up: slots, heaps and links reach their size
  const std::uint64_t before_rx = ping.received;
  const std::uint64_t allocs = ztkit::testing::allocation_count();
  drive(net, {&a, &b}, 220 * ms);
  const std::uint64_t during = ztkit::testing::allocation_count() - allocs;
  EXPECT_EQ(during, 0u);
  EXPECT_GE(ping.received - before_rx, 19'000u);  // ~20,000 round trips measured
  EXPECT_EQ(a.counters().send_dropped, 0u);
}

TEST(Shard, RunsOnItsOwnThreadAndStopsCleanlyWithTrafficInFlight) {
  sim_network::config nc;
  nc.blocking_poll = true;  // the shard thread sleeps in poll() until traffic or a wake
  sim_network net(nc);
  echo_handler echo;
  shard s(config_at(1, 9993, 512), sim_factory(net), echo);
  ASSERT_TRUE(s.open().ok());
  buf::buffer_pool pool({.slab_size = 2048, .count = 1024});
  auto client = net.make_endpoint(pool);
  ASSERT_TRUE(client->open({}).ok());
  ASSERT_TRUE(s.start().ok());
  EXPECT_TRUE(s.running());
  EXPECT_FALSE(s.start().ok());
  std::array<rx_datagram, 64> rx;
  std::uint64_t back = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 32; ++i) {
      buf::packet_buffer b = pool.get();
      ASSERT_TRUE(b);
      b.append(200);
      client->send(io::tx_datagram{std::move(b), s.local_address(), 0});
    }
    client->flush();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::uint64_t want = back + 32;
    while (back < want && std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = client->poll(rx, 100 * ms);
      for (std::size_t i = 0; i < n; ++i) rx[i].buffer = {};
      back += n;
    }
  }
  EXPECT_EQ(back, 20u * 32);
  // Traffic in flight when stop() comes: a burst the shard may be half-way through.
  for (int i = 0; i < 200; ++i) {
    buf::packet_buffer b = pool.get();
    b.append(100);
    client->send(io::tx_datagram{std::move(b), s.local_address(), 0});
  }
  client->flush();
  s.stop();
  s.join();
  EXPECT_FALSE(s.running());
  EXPECT_EQ(s.pool().available(), s.pool().capacity());  // close() gave every buffer back
  EXPECT_GE(s.counters().iterations, 1u);
  client->close();
  EXPECT_EQ(pool.available(), pool.capacity());
}

TEST(Shard, TimersDriveSendsOnARealClockThread) {
  sim_network::config nc;
  nc.blocking_poll = true;
  sim_network net(nc);
  ping_handler ping;
  ping.interval = 1 * ms;
  shard_config cfg = config_at(1, 1);
  cfg.cpu = 0;
  shard s(cfg, sim_factory(net), ping);
  ASSERT_TRUE(s.open().ok());
  buf::buffer_pool pool({.slab_size = 2048, .count = 256});
  auto peer = net.make_endpoint(pool);
  ASSERT_TRUE(peer->open({}).ok());
  ping.peer = peer->local_address();
  s.arm(0, 0);
  ASSERT_TRUE(s.start().ok());
  std::array<rx_datagram, 64> rx;
  std::size_t got = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(60);
  while (std::chrono::steady_clock::now() < until) {
    const std::size_t n = peer->poll(rx, 5 * ms);
    for (std::size_t i = 0; i < n; ++i) rx[i].buffer = {};
    got += n;
  }
  s.stop();
  s.join();
  // 1 ms timers over 60 ms: allow for a loaded machine, but they must pace, not spin or stall.
  EXPECT_GE(got, 10u);
  EXPECT_LE(got, 70u);
  // Between timers the loop sleeps in poll(): far fewer iterations than a busy loop would do.
  EXPECT_LT(s.counters().iterations, 1000u);
  EXPECT_TRUE(s.pinned());
}

TEST(Shard, PinningToAMissingCpuIsLoggedNotFatal) {
  sim_network::config nc;
  nc.blocking_poll = true;
  sim_network net(nc);
  echo_handler echo;
  shard_config cfg = config_at(1, 1);
  cfg.cpu = CPU_SETSIZE - 1;
  shard s(cfg, sim_factory(net), echo);
  ASSERT_TRUE(s.open().ok());
  ASSERT_TRUE(s.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.stop();
  s.join();
  EXPECT_FALSE(s.pinned());
}

TEST(Shard, OpenAndStartReportErrors) {
  sim_network net;
  echo_handler echo;
  shard a(config_at(1, 7), sim_factory(net), echo);
  EXPECT_FALSE(a.start().ok());  // not open
  ASSERT_TRUE(a.open().ok());
  EXPECT_FALSE(a.open().ok());
  shard b(config_at(1, 7), sim_factory(net), echo);  // same address
  EXPECT_FALSE(b.open().ok());
  shard c(config_at(1, 8),
          [](buf::buffer_pool&) -> result<std::unique_ptr<io::backend>> {
            return error{errc::unsupported, "no backend here"};
          },
          echo);
  status st = c.open();
  EXPECT_EQ(st.code(), errc::unsupported);
}


// ---- the command path: post() from other threads, drained by the loop, waking its poll ----

struct idle_handler : shard_handler {
  void on_datagrams(shard&, std::span<rx_datagram> batch, std::int64_t) override {
    for (auto& d : batch) d.buffer = {};
  }
};

// A sim network in blocking mode, or the real epoll backend: both really sleep in poll().
enum class wake_backend_kind { sim_blocking, epoll };

struct command_rig {
  sim_network net{[] {
    sim_network::config nc;
    nc.blocking_poll = true;
    return nc;
  }()};
  idle_handler handler;
  std::unique_ptr<shard> s;

  // Returns false (and the test should skip) when the backend is unavailable.
  bool make(wake_backend_kind kind, std::size_t capacity = 1024) {
    shard_config cfg = config_at(1, 4242);
    cfg.command_capacity = capacity;
    cfg.max_poll_timeout_ns = -1;  // no timers: without a wake-up it would sleep forever
    if (kind == wake_backend_kind::sim_blocking) {
      s = std::make_unique<shard>(cfg, sim_factory(net), handler);
    } else {
#if ZTKIT_SHARD_HAVE_IO
      cfg.socket.bind = inet_address::v4({127, 0, 0, 1}, 0);
      s = std::make_unique<shard>(
          cfg,
          [](buf::buffer_pool& pool) { return io::make_backend(io::backend_kind::epoll, pool); },
          handler);
#else
      return false;
#endif
    }
    return s->open().ok();
  }
};

class ShardCommands : public ::testing::TestWithParam<wake_backend_kind> {};

// Shard-thread state that posted tasks touch: only the shard thread writes next/bad.
struct order_state {
  static constexpr int producers = 4;
  std::array<std::uint32_t, producers> next{};
  std::uint64_t bad = 0;
  std::atomic<std::uint64_t> done{0};
};

TEST_P(ShardCommands, FourProducersPostTenThousandTasksEachInOrder) {
  command_rig rig;
  if (!rig.make(GetParam())) GTEST_SKIP() << "backend unavailable";
  shard& s = *rig.s;
  ASSERT_TRUE(s.has_commands());
  ASSERT_TRUE(s.start().ok());
  constexpr std::uint32_t per = 10000;
  order_state st;
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < order_state::producers; ++p) {
    producers.emplace_back([&, p] {
      std::uint64_t full = 0;
      for (std::uint32_t i = 0; i < per; ++i) {
        shard::task t = [stp = &st, p, i](shard&) {
          if (stp->next[p] != i) ++stp->bad;
          stp->next[p] = i + 1;
          stp->done.fetch_add(1, std::memory_order_release);
        };
        buf::push_status r;
        while ((r = s.try_post(std::move(t))) == buf::push_status::full) {
          ++full;
          std::this_thread::yield();
        }
        if (r != buf::push_status::ok) refused.fetch_add(1);
        // Now and then let the shard run dry and fall asleep, so wake-ups are exercised.
        if (i % 1000 == 999) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      (void)full;
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(refused.load(), 0u);
  const std::uint64_t total = std::uint64_t{per} * order_state::producers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (st.done.load(std::memory_order_acquire) < total &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  EXPECT_EQ(st.done.load(std::memory_order_acquire), total) << "lost wake-up?";
  s.stop();
  s.join();
  EXPECT_EQ(st.bad, 0u);  // per-producer order held (read after join)
  for (int p = 0; p < order_state::producers; ++p) EXPECT_EQ(st.next[p], per);
  EXPECT_EQ(s.counters().tasks_run, total);
  const buf::command_counters c = s.command_counters();
  EXPECT_EQ(c.drained, total);
  EXPECT_EQ(c.producers, 4u);
}

// One task at a time, each waited for: the shard falls asleep before nearly every post, so each
// round goes through prepare_sleep / re-check / wake. A lost wake-up hangs a round.
TEST_P(ShardCommands, PingPongNeverLosesAWakeUp) {
  command_rig rig;
  if (!rig.make(GetParam())) GTEST_SKIP() << "backend unavailable";
  shard& s = *rig.s;
  ASSERT_TRUE(s.start().ok());
  std::atomic<std::uint32_t> ran{0};
  constexpr std::uint32_t rounds = 2000;
  std::uint32_t stuck = 0;
  for (std::uint32_t i = 0; i < rounds && stuck == 0; ++i) {
    ASSERT_TRUE(s.post([&ran](shard&) { ran.fetch_add(1, std::memory_order_release); }));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ran.load(std::memory_order_acquire) <= i) {
      if (std::chrono::steady_clock::now() > deadline) {
        stuck = i + 1;
        break;
      }
      if (i % 2) std::this_thread::yield();  // odd rounds spin, even rounds are slower
      else std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }
  EXPECT_EQ(stuck, 0u) << "round " << stuck - 1 << " was never run";
  EXPECT_EQ(ran.load(), rounds);
  s.stop();
  s.join();
  const buf::command_counters c = s.command_counters();
  EXPECT_GT(c.wake.sleeps, 0u);
  EXPECT_GT(c.wake.written, 0u);  // some posts found it asleep and woke the backend
}

TEST_P(ShardCommands, SleepingShardWithNoTimersWakesPromptlyForAPost) {
  command_rig rig;
  if (!rig.make(GetParam())) GTEST_SKIP() << "backend unavailable";
  shard& s = *rig.s;
  ASSERT_TRUE(s.start().ok());
  std::int64_t worst = 0;
  for (int k = 0; k < 5; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let it fall asleep in poll
    const std::uint64_t written_before = s.command_counters().wake.written;
    std::atomic<std::int64_t> ran_at{0};
    const std::int64_t t0 = monotonic_clock::instance().now_ns();
    ASSERT_TRUE(s.post([&ran_at](shard&) {
      ran_at.store(monotonic_clock::instance().now_ns(), std::memory_order_release);
    }));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ran_at.load(std::memory_order_acquire) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    ASSERT_NE(ran_at.load(), 0) << "a sleeping shard was not woken";
    worst = std::max(worst, ran_at.load() - t0);
    EXPECT_EQ(s.command_counters().wake.written, written_before + 1);  // it was asleep
  }
  EXPECT_LT(worst, 50 * ms);
  s.stop();
  s.join();
}

INSTANTIATE_TEST_SUITE_P(Backends, ShardCommands,
                         ::testing::Values(wake_backend_kind::sim_blocking,
                                           wake_backend_kind::epoll),
                         [](const auto& info) {
                           return info.param == wake_backend_kind::epoll ? "Epoll" : "SimBlocking";
                         });

TEST(Shard, PostIsRefusedWithoutACommandPathAndAfterClose) {
  sim_network net;
  idle_handler h;
  shard a(config_at(1, 7), sim_factory(net), h);
  EXPECT_FALSE(a.has_commands());
  EXPECT_FALSE(a.post([](shard&) {}));
  shard_config cfg = config_at(2, 7);
  cfg.command_capacity = 4;
  shard b(cfg, sim_factory(net), h);
  ASSERT_TRUE(b.open().ok());
  int ran = 0;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(b.post([&ran](shard&) { ++ran; }));
  EXPECT_EQ(b.try_post([&ran](shard&) { ++ran; }), buf::push_status::full);
  // Stepped by hand on virtual time: run_once drains too, with the budget per iteration.
  b.run_once(0);
  EXPECT_EQ(ran, 4);
  EXPECT_EQ(b.counters().tasks_run, 4u);
  b.close_commands();
  EXPECT_EQ(b.try_post([](shard&) {}), buf::push_status::closed);
}

TEST(Shard, CommandBudgetBoundsTasksPerIteration) {
  sim_network net;
  idle_handler h;
  shard_config cfg = config_at(1, 7);
  cfg.command_capacity = 64;
  cfg.command_budget = 10;
  shard s(cfg, sim_factory(net), h);
  ASSERT_TRUE(s.open().ok());
  int ran = 0;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(s.post([&ran](shard&) { ++ran; }));
  s.run_once(0);
  EXPECT_EQ(ran, 10);
  s.run_once(0);
  EXPECT_EQ(ran, 20);
  s.run_once(0);
  EXPECT_EQ(ran, 25);
}

#if ZTKIT_SHARD_HAVE_IO
// The same loop on a real backend over loopback: a plain UDP socket talks to an echo shard on
// its own thread; stop() comes while datagrams are still arriving.
void real_backend_echo(io::backend_kind kind) {
  echo_handler echo;
  shard_config cfg;
  cfg.pool = {.slab_size = 2048, .count = 512, .headroom = 128};
  cfg.socket.bind = inet_address::v4({127, 0, 0, 1}, 0);
  shard s(cfg,
          [kind](buf::buffer_pool& pool) { return io::make_backend(kind, pool); }, echo);
  if (status st = s.open(); !st.ok()) GTEST_SKIP() << "backend unavailable: " << st;
  ASSERT_TRUE(s.start().ok());
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
  timeval tv{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(s.local_address().port);
  std::array<char, 1500> payload{};
  int back = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(::sendto(fd, payload.data(), 1400, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              1400);
    if (::recv(fd, payload.data(), payload.size(), 0) == 1400) ++back;
  }
  EXPECT_GE(back, 95);
  for (int i = 0; i < 200; ++i)
    ::sendto(fd, payload.data(), 600, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  s.stop();
  s.join();
  EXPECT_EQ(s.pool().available(), s.pool().capacity());
  ::close(fd);
}

TEST(Shard, RealEpollBackendOnItsOwnThread) { real_backend_echo(io::backend_kind::epoll); }
TEST(Shard, RealAutomaticBackendOnItsOwnThread) { real_backend_echo(io::backend_kind::automatic); }
#endif

}  // namespace
}  // namespace ztkit::shard
