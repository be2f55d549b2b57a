// The per-core loop: two shards on the simulated network stepped by virtual time, timers that
// drive sends, a shard on its own thread stopped with traffic in flight, CPU pinning, and a
// steady state that allocates nothing (global operator new is counted in this binary).
#include "engine/shard/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <thread>

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
