// The simulated network: delivery, the virtual clock, link impairments (statistics for a fixed
// seed), determinism, MTU, bandwidth pacing, pool exhaustion, and the io::backend contract.
#include "engine/io/sim/sim_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>
#include <vector>

namespace ztkit::io::sim {
namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t us = 1'000;

inet_address v4(std::uint8_t last, std::uint16_t port) {
  return inet_address::v4({10, 0, 0, last}, port);
}

struct node {
  buf::buffer_pool pool;
  std::unique_ptr<sim_endpoint> ep;
  node(sim_network& net, const inet_address& bind, std::size_t buffers = 256)
      : pool({.slab_size = 2048, .count = buffers, .headroom = 64}), ep(net.make_endpoint(pool)) {
    socket_options o;
    o.bind = bind;
    EXPECT_TRUE(ep->open(o).ok());
  }
  // Queues one datagram of `len` bytes whose first 4 bytes are `seq` (little endian).
  bool send(const inet_address& to, std::uint32_t seq, std::size_t len = 100) {
    buf::packet_buffer b = pool.get();
    if (!b) return false;
    std::uint8_t* p = b.append(len);
    std::memset(p, 0x5a, len);
    std::memcpy(p, &seq, std::min<std::size_t>(4, len));
    return ep->send(tx_datagram{std::move(b), to, 0});
  }
  // Everything ready now, as sequence numbers.
  std::vector<std::uint32_t> receive() {
    std::vector<std::uint32_t> got;
    std::array<rx_datagram, 32> rx;
    for (;;) {
      const std::size_t n = ep->poll(rx, 0);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t seq = 0;
        std::memcpy(&seq, rx[i].buffer.data(), std::min<std::size_t>(4, rx[i].buffer.size()));
        got.push_back(seq);
        rx[i].buffer = {};
      }
      if (n < rx.size()) return got;
    }
  }
};

TEST(SimNetwork, DeliversAtOnceOnAPerfectLink) {
  sim_network net;
  node a(net, v4(1, 1000)), b(net, v4(2, 2000));
  EXPECT_EQ(a.ep->local_address(), v4(1, 1000));
  ASSERT_TRUE(a.send(b.ep->local_address(), 7, 300));
  EXPECT_TRUE(b.receive().empty());  // nothing leaves before flush()
  a.ep->flush();
  EXPECT_EQ(a.pool.available(), a.pool.capacity());  // the sender's slab is back at once
  std::array<rx_datagram, 4> rx;
  ASSERT_EQ(b.ep->poll(rx, 1000 * ms), 1u);
  EXPECT_EQ(rx[0].from, v4(1, 1000));
  EXPECT_EQ(rx[0].buffer.size(), 300u);
  EXPECT_EQ(rx[0].buffer.data()[5], 0x5a);
  EXPECT_EQ(rx[0].buffer.pool(), &b.pool);
  EXPECT_EQ(rx[0].segment_size, 0);
  EXPECT_EQ(a.ep->counters().tx_datagrams, 1u);
  EXPECT_EQ(a.ep->counters().tx_bytes, 300u);
  EXPECT_EQ(a.ep->counters().submits, 1u);
  EXPECT_EQ(b.ep->counters().rx_datagrams, 1u);
  EXPECT_EQ(b.ep->counters().rx_bytes, 300u);
  EXPECT_EQ(net.now(), 0);
  EXPECT_EQ(net.counters(v4(1, 1000), v4(2, 2000)).delivered, 1u);
}

TEST(SimNetwork, BindsUnspecifiedAddressesAndPortsAndRefusesTakenOnes) {
  sim_network net;
  buf::buffer_pool pool({.slab_size = 256, .count = 8});
  auto a = net.make_endpoint(pool), b = net.make_endpoint(pool), c = net.make_endpoint(pool);
  ASSERT_TRUE(a->open({}).ok());
  ASSERT_TRUE(b->open({}).ok());
  EXPECT_NE(a->local_address(), b->local_address());
  EXPECT_EQ(a->local_address().ip[0], 10);
  EXPECT_NE(a->local_address().port, 0);
  socket_options o;
  o.bind = a->local_address();
  EXPECT_FALSE(c->open(o).ok());  // in use
  socket_options v6;
  v6.bind = inet_address::v6({}, 0);
  ASSERT_TRUE(c->open(v6).ok());
  EXPECT_EQ(c->local_address().fam, inet_address::family::ipv6);
  EXPECT_EQ(c->local_address().ip[0], 0xfd);
  EXPECT_FALSE(c->open(v6).ok());  // already open
  // Loopback-style binds work too, as the conformance suite uses them.
  auto d = net.make_endpoint(pool);
  socket_options lo;
  lo.bind = inet_address::v4({127, 0, 0, 1}, 0);
  ASSERT_TRUE(d->open(lo).ok());
  EXPECT_EQ(d->local_address().ip[0], 127);
}

TEST(SimNetwork, ReusePortGroupSplitsBySourceAndAFreedAddressCanBeReused) {
  sim_network net;
  buf::buffer_pool pool({.slab_size = 256, .count = 64});
  socket_options o;
  o.bind = v4(9, 9993);
  o.reuse_port = true;
  auto s1 = net.make_endpoint(pool), s2 = net.make_endpoint(pool);
  ASSERT_TRUE(s1->open(o).ok());
  ASSERT_TRUE(s2->open(o).ok());
  std::vector<std::unique_ptr<node>> senders;
  for (std::uint8_t i = 1; i <= 16; ++i) {
    senders.push_back(std::make_unique<node>(net, v4(i + 20, 5000)));
    senders.back()->send(o.bind, i);
    senders.back()->ep->flush();
  }
  EXPECT_EQ(s1->rx_pending() + s2->rx_pending(), 16u);
  EXPECT_GT(s1->rx_pending(), 0u);
  EXPECT_GT(s2->rx_pending(), 0u);
  s1->close();
  s2->close();
  EXPECT_EQ(pool.available(), pool.capacity());
  auto s3 = net.make_endpoint(pool);
  o.reuse_port = false;
  EXPECT_TRUE(s3->open(o).ok());
}

TEST(SimNetwork, DelayAndJitterOnTheVirtualClock) {
  sim_network::config cfg;
  cfg.default_link.delay_ns = 10 * ms;
  cfg.default_link.jitter_ns = 2 * ms;
  sim_network net(cfg);
  node a(net, v4(1, 1), 1024), b(net, v4(2, 2), 1024);
  std::vector<std::int64_t> arrivals;
  net.set_trace([&](const trace_event& e) {
    if (e.what == trace_event::kind::delivered) arrivals.push_back(e.time_ns);
  });
  for (std::uint32_t i = 0; i < 1000; ++i) a.send(b.ep->local_address(), i);
  a.ep->flush();
  EXPECT_EQ(net.in_flight(), 1000u);
  auto next = net.next_event_time();
  ASSERT_TRUE(next);
  EXPECT_GE(*next, 10 * ms);
  EXPECT_LE(*next, 12 * ms);
  net.advance_to(10 * ms - 1);
  EXPECT_TRUE(b.receive().empty());
  std::size_t got = 0;
  while (net.advance_to_next_event()) got += b.receive().size();
  EXPECT_EQ(got, 1000u);
  ASSERT_EQ(arrivals.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(arrivals.begin(), arrivals.end()));
  EXPECT_GE(arrivals.front(), 10 * ms);
  EXPECT_LE(arrivals.back(), 12 * ms);
  // Jitter spreads them over the window instead of piling up at one end.
  const auto mid = std::count_if(arrivals.begin(), arrivals.end(),
                                 [](std::int64_t t) { return t < 11 * ms; });
  EXPECT_GT(mid, 400);
  EXPECT_LT(mid, 600);
  EXPECT_LE(net.now(), 12 * ms);
  EXPECT_FALSE(net.next_event_time());
}

TEST(SimNetwork, LossDuplicationAndReorderingStayWithinBoundsForAFixedSeed) {
  sim_network::config cfg;
  cfg.seed = 42;
  cfg.default_link = {.loss = 0.10, .duplicate = 0.05, .reorder = 0.10, .delay_ns = 1 * ms};
  sim_network net(cfg);
  node a(net, v4(1, 1)), b(net, v4(2, 2), 4096);
  constexpr std::uint32_t n = 20000;
  std::vector<std::uint32_t> got;
  for (std::uint32_t i = 0; i < n; ++i) {
    a.send(b.ep->local_address(), i);
    a.ep->flush();
    net.advance_by(10 * us);  // one datagram every 10 us
    auto r = b.receive();
    got.insert(got.end(), r.begin(), r.end());
  }
  net.advance_by(100 * ms);
  auto r = b.receive();
  got.insert(got.end(), r.begin(), r.end());
  const link_counters c = net.counters(a.ep->local_address(), b.ep->local_address());
  EXPECT_EQ(c.sent, n);
  EXPECT_NEAR(static_cast<double>(c.dropped_loss) / n, 0.10, 0.01);
  const double kept = static_cast<double>(n - c.dropped_loss);
  EXPECT_NEAR(c.duplicated / kept, 0.05, 0.01);
  EXPECT_NEAR(c.reordered / kept, 0.10, 0.01);
  EXPECT_EQ(got.size(), n - c.dropped_loss + c.duplicated);
  EXPECT_EQ(c.delivered, got.size());
  // Out of order: a datagram that arrives after a higher-numbered one.
  std::size_t late = 0;
  std::uint32_t highest = 0;
  for (std::uint32_t s : got) {
    if (s < highest) ++late;
    highest = std::max(highest, s);
  }
  EXPECT_GT(late, c.reordered / 2);
  EXPECT_EQ(b.ep->counters().rx_dropped_no_buffer, 0u);
}

std::vector<std::tuple<int, std::int64_t, std::uint64_t>> run_trace(std::uint64_t seed) {
  sim_network::config cfg;
  cfg.seed = seed;
  cfg.default_link = {.loss = 0.2, .duplicate = 0.1, .reorder = 0.2, .delay_ns = 5 * ms,
                      .jitter_ns = 3 * ms, .bandwidth_bps = 100'000'000, .queue_bytes = 20000};
  sim_network net(cfg);
  std::vector<std::tuple<int, std::int64_t, std::uint64_t>> trace;
  net.set_trace([&](const trace_event& e) {
    trace.emplace_back(static_cast<int>(e.what), e.time_ns + e.arrival_ns, e.id);
  });
  node a(net, v4(1, 1)), b(net, v4(2, 2), 1024), c(net, v4(3, 3), 1024);
  for (std::uint32_t i = 0; i < 2000; ++i) {
    a.send(i % 3 ? b.ep->local_address() : c.ep->local_address(), i, 200 + i % 1000);
    if (i % 7 == 0) a.ep->flush();
    if (i % 5 == 0) net.advance_by(50 * us);
    b.receive();
    c.receive();
  }
  a.ep->flush();
  while (net.advance_to_next_event()) {
    b.receive();
    c.receive();
  }
  return trace;
}

TEST(SimNetwork, SameSeedGivesTheSameTrace) {
  const auto t1 = run_trace(7), t2 = run_trace(7), t3 = run_trace(8);
  EXPECT_GT(t1.size(), 2000u);
  EXPECT_EQ(t1, t2);
  EXPECT_NE(t1, t3);
}

TEST(SimNetwork, OversizeDatagramsAreDroppedAndCounted) {
  sim_network net;
  node a(net, v4(1, 1)), b(net, v4(2, 2));
  link_config small;
  small.mtu = 1000;
  net.set_link(a.ep->local_address(), b.ep->local_address(), small);
  a.send(b.ep->local_address(), 1, 1000);
  a.send(b.ep->local_address(), 2, 1001);
  a.ep->flush();
  EXPECT_EQ(b.receive(), std::vector<std::uint32_t>{1});
  const auto c = net.counters(a.ep->local_address(), b.ep->local_address());
  EXPECT_EQ(c.dropped_mtu, 1u);
  EXPECT_EQ(c.delivered, 1u);
  // The other direction keeps the default MTU.
  b.send(a.ep->local_address(), 3, 1400);
  b.ep->flush();
  EXPECT_EQ(a.receive(), std::vector<std::uint32_t>{3});
}

TEST(SimNetwork, BandwidthPacesDatagramsAndAFullQueueDropsAtTheTail) {
  sim_network net;
  node a(net, v4(1, 1)), b(net, v4(2, 2));
  link_config slow;
  slow.bandwidth_bps = 8'000'000;  // one byte per microsecond
  slow.delay_ns = 1 * ms;
  slow.queue_bytes = 5000;
  net.set_link(a.ep->local_address(), b.ep->local_address(), slow);
  std::vector<std::int64_t> arrivals;
  net.set_trace([&](const trace_event& e) {
    if (e.what == trace_event::kind::delivered) arrivals.push_back(e.time_ns);
  });
  for (std::uint32_t i = 0; i < 8; ++i) a.send(b.ep->local_address(), i, 1000);
  a.ep->flush();
  while (net.advance_to_next_event()) {
  }
  // Five fit in the queue (5000 bytes), each 1 ms on the wire, then 1 ms of propagation.
  ASSERT_EQ(arrivals.size(), 5u);
  for (std::size_t i = 0; i < arrivals.size(); ++i)
    EXPECT_EQ(arrivals[i], static_cast<std::int64_t>(i + 2) * ms);
  EXPECT_EQ(net.counters(a.ep->local_address(), b.ep->local_address()).dropped_queue, 3u);
  EXPECT_EQ(b.receive().size(), 5u);
  // Once the wire is idle again the pacing restarts from now.
  a.send(b.ep->local_address(), 9, 500);
  a.ep->flush();
  EXPECT_EQ(*net.next_event_time(), net.now() + 500 * us + 1 * ms);
}

TEST(SimNetwork, AnEmptyReceivePoolDropsAndCountsLikeANic) {
  sim_network net;
  node a(net, v4(1, 1)), b(net, v4(2, 2), 4);
  for (std::uint32_t i = 0; i < 10; ++i) a.send(b.ep->local_address(), i);
  a.ep->flush();
  std::array<rx_datagram, 16> rx;
  EXPECT_EQ(b.ep->poll(rx, 0), 4u);  // every slab is now held by the test
  EXPECT_EQ(b.ep->counters().rx_dropped_no_buffer, 6u);
  EXPECT_EQ(b.pool.available(), 0u);
  for (auto& d : rx) d.buffer = {};
  EXPECT_EQ(b.pool.available(), 4u);
  a.send(b.ep->local_address(), 11);
  a.ep->flush();
  EXPECT_EQ(b.receive(), std::vector<std::uint32_t>{11});
}

TEST(SimNetwork, ReceiveQueueAndSendQueueAreBounded) {
  sim_network::config cfg;
  cfg.rx_queue_capacity = 8;
  cfg.tx_queue_capacity = 4;
  sim_network net(cfg);
  node a(net, v4(1, 1)), b(net, v4(2, 2));
  std::size_t accepted = 0;
  for (std::uint32_t i = 0; i < 6; ++i) accepted += a.send(b.ep->local_address(), i);
  EXPECT_EQ(accepted, 4u);
  EXPECT_EQ(a.ep->counters().tx_dropped_queue_full, 2u);
  EXPECT_EQ(a.pool.available(), a.pool.capacity() - 4);  // refused buffers went back
  a.ep->flush();
  for (int round = 0; round < 3; ++round) {
    for (std::uint32_t i = 0; i < 4; ++i) a.send(b.ep->local_address(), i);
    a.ep->flush();
  }
  EXPECT_EQ(b.ep->rx_pending(), 8u);
  EXPECT_EQ(b.ep->sim_counters().rx_dropped_queue_full, 8u);
  EXPECT_EQ(b.receive().size(), 8u);
}

TEST(SimNetwork, GsoSendsAreCutIntoSegments) {
  sim_network net;
  node a(net, v4(1, 1)), b(net, v4(2, 2));
  buf::packet_buffer p = a.pool.get();
  std::uint8_t* d = p.append(1000);
  for (int i = 0; i < 1000; ++i) d[i] = static_cast<std::uint8_t>(i / 300);
  ASSERT_TRUE(a.ep->send(tx_datagram{std::move(p), b.ep->local_address(), 300}));
  a.ep->flush();
  std::array<rx_datagram, 8> rx;
  ASSERT_EQ(b.ep->poll(rx, 0), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rx[i].buffer.size(), i < 3 ? 300u : 100u);
    EXPECT_EQ(rx[i].buffer.data()[0], i);
  }
  EXPECT_EQ(a.ep->counters().tx_datagrams, 4u);
}

TEST(SimNetwork, CloseReturnsEveryBufferAndLaterArrivalsHaveNoRoute) {
  sim_network::config cfg;
  cfg.default_link.delay_ns = 1 * ms;
  sim_network net(cfg);
  node a(net, v4(1, 1)), b(net, v4(2, 2), 16);
  for (std::uint32_t i = 0; i < 4; ++i) a.send(b.ep->local_address(), i);
  a.ep->flush();
  for (std::uint32_t i = 0; i < 4; ++i) a.send(b.ep->local_address(), i);  // never flushed
  net.advance_by(1 * ms);
  a.send(b.ep->local_address(), 5);
  a.ep->flush();
  EXPECT_EQ(b.ep->rx_pending(), 4u);
  const inet_address b_addr = b.ep->local_address();
  b.ep->close();
  b.ep->close();  // idempotent
  a.ep->close();
  EXPECT_EQ(a.pool.available(), a.pool.capacity());
  EXPECT_EQ(b.pool.available(), b.pool.capacity());
  EXPECT_EQ(b.ep->rx_pending(), 0u);
  net.advance_by(1 * ms);
  // The four queued before close() went out with the last flush: five found nobody.
  EXPECT_EQ(net.counters(v4(1, 1), b_addr).dropped_no_route, 5u);
  EXPECT_FALSE(a.send(b_addr, 6));  // closed
  std::array<rx_datagram, 4> rx;
  EXPECT_EQ(b.ep->poll(rx, 0), 0u);
}

TEST(SimNetwork, EndpointsOutlivingTheNetworkAreDetached) {
  buf::buffer_pool pool({.slab_size = 256, .count = 4});
  std::unique_ptr<sim_endpoint> ep;
  {
    sim_network net;
    ep = net.make_endpoint(pool);
    ASSERT_TRUE(ep->open({}).ok());
  }
  EXPECT_EQ(ep->network(), nullptr);
  buf::packet_buffer b = pool.get();
  b.append(10);
  EXPECT_FALSE(ep->send(tx_datagram{std::move(b), v4(1, 1), 0}));
  std::array<rx_datagram, 1> rx;
  EXPECT_EQ(ep->poll(rx, -1), 0u);
  ep->wake();
  ep.reset();
  EXPECT_EQ(pool.available(), 4u);
}

TEST(SimNetwork, BlockingPollWaitsForAnArrivalOrAWake) {
  sim_network::config cfg;
  cfg.blocking_poll = true;
  sim_network net(cfg);
  node a(net, v4(1, 1)), b(net, v4(2, 2));
  std::array<rx_datagram, 4> rx;
  std::size_t got = 99;
  std::thread t([&] { got = b.ep->poll(rx, -1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  a.send(b.ep->local_address(), 1);
  a.ep->flush();
  t.join();
  EXPECT_EQ(got, 1u);
  rx[0].buffer = {};
  std::thread t2([&] { got = b.ep->poll(rx, -1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  b.ep->wake();
  t2.join();
  EXPECT_EQ(got, 0u);
  EXPECT_EQ(b.ep->counters().wakeups, 1u);
  // A wake before the poll is not lost; a finite timeout returns empty-handed.
  b.ep->wake();
  EXPECT_EQ(b.ep->poll(rx, 10 * ms), 0u);
  EXPECT_EQ(b.ep->poll(rx, 1 * ms), 0u);
}

}  // namespace
}  // namespace ztkit::io::sim
