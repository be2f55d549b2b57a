// One suite, every backend behind engine/io/backend.h (issue 5, "Tests"): io_uring (also in its
// degraded modes: single-shot recvmsg, no GSO), epoll + mmsg, and the simulated network. Each
// test bounds every wait; the whole suite runs in a few seconds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/buf/packet_buffer.h"
#include "engine/io/backend.h"
#include "engine/io/epoll_backend.h"
#include "engine/io/sim/sim_network.h"
#include "engine/io/uring_backend.h"

namespace ztkit::io {
namespace {

using namespace std::chrono_literals;
using buf::buffer_pool;

struct received {
  std::vector<std::uint8_t> bytes;
  inet_address from;
  std::uint16_t segment_size;
};

class conformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam().rfind("io_uring", 0) == 0) {
      status s = uring_backend::probe();
      if (!s.ok()) GTEST_SKIP() << s.message();
    }
  }

  bool is_sim() const { return GetParam() == "sim"; }
  bool is_real() const { return !is_sim(); }

  std::unique_ptr<backend> make(buffer_pool& pool) {
    const std::string& k = GetParam();
    if (k == "io_uring") return std::make_unique<uring_backend>(pool);
    if (k == "io_uring_defer") {
      uring_config c;
      c.defer_taskrun = true;
      return std::make_unique<uring_backend>(pool, c);
    }
    if (k == "io_uring_single_shot") {
      uring_config c;
      c.force_single_shot = true;
      return std::make_unique<uring_backend>(pool, c);
    }
    if (k == "io_uring_no_gso") {
      uring_config c;
      c.force_no_gso = true;
      return std::make_unique<uring_backend>(pool, c);
    }
    if (k == "epoll") return std::make_unique<epoll_backend>(pool);
    if (!net_) {
      sim::sim_network::config c;
      c.blocking_poll = true;  // wake() and poll timeouts behave as on a socket
      net_ = std::make_unique<sim::sim_network>(c);
    }
    return net_->make_endpoint(pool);
  }

  std::unique_ptr<backend> open(buffer_pool& pool, const inet_address& at, bool gro = true) {
    auto b = make(pool);
    socket_options o;
    o.bind = at;
    o.gro = gro;
    status s = b->open(o);
    if (!s.ok()) {
      ADD_FAILURE() << "open " << at.to_string() << ": " << s;
      return nullptr;
    }
    return b;
  }

  static inet_address v4_loopback() { return inet_address::v4({127, 0, 0, 1}, 0); }

  static std::uint8_t pattern(std::size_t seq, std::size_t i) {
    return static_cast<std::uint8_t>(seq * 131 + i * 7 + 1);
  }

  static bool send_bytes(backend& b, buffer_pool& pool, const inet_address& to, std::size_t size,
                         std::size_t seq, std::uint16_t segment = 0) {
    buf::packet_buffer p = pool.get();
    if (!p) return false;
    std::uint8_t* d = p.append(size);
    if (!d) return false;
    for (std::size_t i = 0; i < size; ++i) d[i] = pattern(seq, i);
    return b.send(tx_datagram{std::move(p), to, segment});
  }

  // Polls until `count` datagrams arrived or `limit` passed.
  static std::vector<received> receive(backend& b, std::size_t count,
                                       std::chrono::milliseconds limit = 2000ms) {
    std::vector<received> got;
    rx_datagram rx[64];
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = b.poll(rx, 20'000'000);
      for (std::size_t i = 0; i < n; ++i) {
        got.push_back({{rx[i].buffer.data(), rx[i].buffer.data() + rx[i].buffer.size()},
                       rx[i].from, rx[i].segment_size});
        rx[i].buffer = {};
      }
    }
    return got;
  }

  // Lets a backend reap its send completions (io_uring counts sends when they complete).
  static void settle(backend& b) {
    for (int i = 0; i < 3; ++i) b.poll({}, 0), std::this_thread::sleep_for(2ms);
  }

  std::unique_ptr<sim::sim_network> net_;
};

TEST_P(conformance, loopback_v4_round_trip) {
  buffer_pool pa({}), pb({});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->local_address().port, 0);
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 100, 1));
  a->flush();
  auto got = receive(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes.size(), 100u);
  EXPECT_EQ(got[0].from, a->local_address());
  for (std::size_t i = 0; i < 100; ++i) ASSERT_EQ(got[0].bytes[i], pattern(1, i));
  ASSERT_TRUE(send_bytes(*b, pb, got[0].from, 50, 2));
  b->flush();
  auto back = receive(*a, 1);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].from, b->local_address());
  settle(*a), settle(*b);
  EXPECT_EQ(a->counters().tx_datagrams, 1u);
  EXPECT_EQ(a->counters().tx_bytes, 100u);
  EXPECT_EQ(a->counters().rx_datagrams, 1u);
  EXPECT_EQ(a->counters().rx_bytes, 50u);
  EXPECT_EQ(b->counters().rx_datagrams, 1u);
  EXPECT_EQ(b->counters().tx_datagrams, 1u);
  EXPECT_EQ(a->counters().tx_errors, 0u);
  a->close(), b->close();
  EXPECT_EQ(pa.available(), pa.capacity());
  EXPECT_EQ(pb.available(), pb.capacity());
}

TEST_P(conformance, loopback_v6_round_trip) {
  std::array<std::uint8_t, 16> lo{};
  lo[15] = 1;
  buffer_pool pa({}), pb({});
  auto a = make(pa), b = make(pb);
  socket_options o;
  o.bind = inet_address::v6(lo, 0);
  if (status s = a->open(o); !s.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << s;
  ASSERT_TRUE(b->open(o).ok());
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 1200, 3));
  a->flush();
  auto got = receive(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, a->local_address());
  EXPECT_EQ(got[0].bytes.size(), 1200u);
}

TEST_P(conformance, hundreds_of_datagrams_in_one_flush) {
  buffer_pool pa({}), pb({});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(a && b);
  constexpr std::size_t n = 600;
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 200, i));
  const auto submits = a->counters().submits;
  a->flush();
  if (is_real()) {
    EXPECT_LE(a->counters().submits - submits, 16u);
  }
  auto got = receive(*b, n);
  ASSERT_EQ(got.size(), n);
  for (std::size_t i = 0; i < n; ++i) {  // loopback keeps order
    ASSERT_EQ(got[i].bytes.size(), 200u);
    ASSERT_EQ(got[i].bytes[0], pattern(i, 0)) << i;
  }
  settle(*a);
  EXPECT_EQ(a->counters().tx_datagrams, n);
  EXPECT_EQ(b->counters().rx_datagrams, n);
  EXPECT_EQ(b->counters().rx_bytes, n * 200);
}

TEST_P(conformance, every_size_up_to_1472_and_jumbo) {
  buffer_pool pa({.slab_size = 16384, .count = 1024, .headroom = 128});
  buffer_pool pb({.slab_size = 16384, .count = 1024, .headroom = 128});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(a && b);
  std::vector<std::size_t> sizes;
  for (std::size_t s = 1; s <= 1472; ++s) sizes.push_back(s);
  for (std::size_t s : {1473, 2000, 4096, 8192, 9000}) sizes.push_back(s);
  for (std::size_t start = 0; start < sizes.size(); start += 200) {
    const std::size_t end = std::min(sizes.size(), start + 200);
    for (std::size_t i = start; i < end; ++i)
      ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), sizes[i], i));
    a->flush();
    auto got = receive(*b, end - start);
    a->poll({}, 0);  // the sender reaps its completions, as a shard loop does every turn
    ASSERT_EQ(got.size(), end - start);
    for (std::size_t i = start; i < end; ++i) {
      const auto& g = got[i - start];
      ASSERT_EQ(g.bytes.size(), sizes[i]);
      for (std::size_t k = 0; k < g.bytes.size(); ++k) ASSERT_EQ(g.bytes[k], pattern(i, k));
    }
  }
}

TEST_P(conformance, larger_than_a_slab_is_truncated_and_counted) {
  buffer_pool pa({.slab_size = 16384, .count = 64, .headroom = 128});
  buffer_pool pb({});  // 2048-byte slabs
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 4000, 1));
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 10, 2));
  a->flush();
  auto got = receive(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes.size(), 10u);
  if (is_real()) {
    EXPECT_EQ(b->counters().rx_truncated, 1u);
  }
}

TEST_P(conformance, gso_send_arrives_as_segments) {
  buffer_pool pa({.slab_size = 16384, .count = 64, .headroom = 128});
  buffer_pool pb({});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback(), /*gro=*/false);
  ASSERT_TRUE(a && b);
  // 9 full segments and a short one.
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 9500, 7, 1000));
  a->flush();
  auto got = receive(*b, 10);
  ASSERT_EQ(got.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    ASSERT_EQ(got[i].bytes.size(), i < 9 ? 1000u : 500u);
    for (std::size_t k = 0; k < got[i].bytes.size(); ++k)
      ASSERT_EQ(got[i].bytes[k], pattern(7, i * 1000 + k));
  }
  settle(*a);
  EXPECT_EQ(a->counters().tx_datagrams, 10u);
  EXPECT_EQ(b->counters().rx_datagrams, 10u);
  a->close();
  EXPECT_EQ(pa.available(), pa.capacity());
}

TEST_P(conformance, gro_receive_coalesces_segments) {
  buffer_pool pa({.slab_size = 32768, .count = 64, .headroom = 128});
  buffer_pool pb({.slab_size = 66 * 1024, .count = 16, .headroom = 128});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback(), /*gro=*/true);
  ASSERT_TRUE(a && b);
  bool gro = false;
  if (auto* u = dynamic_cast<uring_backend*>(b.get())) gro = u->gro();
  if (auto* e = dynamic_cast<epoll_backend*>(b.get())) gro = e->gro();
  if (!gro) GTEST_SKIP() << GetParam() << ": no UDP GRO here";
  ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 20000, 9, 1000));
  a->flush();
  std::size_t bytes = 0, datagrams = 0;
  bool coalesced = false;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  std::size_t offset = 0;
  while (bytes < 20000 && std::chrono::steady_clock::now() < deadline) {
    auto got = receive(*b, 1, 100ms);
    for (auto& g : got) {
      for (std::size_t k = 0; k < g.bytes.size(); ++k) ASSERT_EQ(g.bytes[k], pattern(9, offset + k));
      offset += g.bytes.size();
      bytes += g.bytes.size();
      if (g.segment_size) {
        coalesced = true;
        EXPECT_EQ(g.segment_size, 1000);
        datagrams += (g.bytes.size() + 999) / 1000;
      } else {
        ++datagrams;
      }
    }
  }
  EXPECT_EQ(bytes, 20000u);
  EXPECT_EQ(datagrams, 20u);
  EXPECT_EQ(b->counters().rx_datagrams, 20u);
  if (!coalesced) GTEST_SKIP() << "the kernel delivered the GSO send uncoalesced";
}

TEST_P(conformance, pool_exhaustion_drops_counts_and_recovers) {
  buffer_pool pa({});
  buffer_pool pb({.slab_size = 2048, .count = 8, .headroom = 128});
  auto a = open(pa, v4_loopback());
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(a && b);
  std::vector<buf::packet_buffer> held;
  rx_datagram rx[16];
  std::size_t seq = 0;
  // Hold every buffer the receiver hands out until its pool is empty.
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (pb.available() > 0 && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 64, seq++));
    a->flush();
    const std::size_t n = b->poll(rx, 20'000'000);
    for (std::size_t i = 0; i < n; ++i) held.push_back(std::move(rx[i].buffer));
  }
  ASSERT_EQ(pb.available(), 0u);
  // More datagrams: nowhere to put them, so they are dropped and counted.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 64, seq++));
  a->flush();
  const auto deadline2 = std::chrono::steady_clock::now() + 2s;
  while (b->counters().rx_dropped_no_buffer == 0 && std::chrono::steady_clock::now() < deadline2) {
    const std::size_t n = b->poll(rx, 20'000'000);
    for (std::size_t i = 0; i < n; ++i) held.push_back(std::move(rx[i].buffer));
  }
  EXPECT_GT(b->counters().rx_dropped_no_buffer, 0u);
  EXPECT_LE(held.size(), pb.capacity());
  // Buffers come back: receiving resumes.
  held.clear();
  std::this_thread::sleep_for(5ms);
  (void)b->poll(rx, 0);  // whatever was still queued
  for (std::size_t i = 0; i < 16; ++i) rx[i].buffer = {};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 64, 1000 + i));
  a->flush();
  auto got = receive(*b, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3].bytes[0], pattern(1003, 0));
  b->close();
  EXPECT_EQ(pb.available(), pb.capacity());
}

TEST_P(conformance, wake_interrupts_a_blocking_poll) {
  buffer_pool pb({});
  auto b = open(pb, v4_loopback());
  ASSERT_TRUE(b);
  rx_datagram rx[4];
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    b->wake();
  });
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = b->poll(rx, 5'000'000'000);  // bounded: a broken wake() fails, no hang
  const auto waited = std::chrono::steady_clock::now() - t0;
  waker.join();
  EXPECT_EQ(n, 0u);
  EXPECT_GE(waited, 40ms);
  EXPECT_LT(waited, 2s);
  if (is_real()) {
    EXPECT_GE(b->counters().wakeups, 1u);
  }
  // A wake() before poll() makes the next poll return at once.
  b->wake();
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(b->poll(rx, 5'000'000'000), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 2s);
  // And a timeout is honoured.
  const auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(b->poll(rx, 30'000'000), 0u);
  const auto slept = std::chrono::steady_clock::now() - t2;
  EXPECT_GE(slept, 25ms);
  EXPECT_LT(slept, 1s);
}

TEST_P(conformance, close_with_operations_in_flight_returns_every_slab) {
  buffer_pool pa({}), pb({});
  {
    auto a = open(pa, v4_loopback());
    auto b = open(pb, v4_loopback());
    ASSERT_TRUE(a && b);
    std::vector<buf::packet_buffer> held;
    for (std::size_t i = 0; i < 300; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 1000, i));
    a->flush();
    for (std::size_t i = 0; i < 50; ++i) ASSERT_TRUE(send_bytes(*a, pa, b->local_address(), 1000, i));
    // Queued, never flushed; the receiver takes a few and leaves the rest in flight.
    rx_datagram rx[8];
    auto got = receive(*b, 1);
    ASSERT_FALSE(got.empty());
    const std::size_t n = b->poll(rx, 10'000'000);
    for (std::size_t i = 0; i < n; ++i) held.push_back(std::move(rx[i].buffer));
    a->close();
    b->close();
    a->close();  // idempotent
    EXPECT_EQ(pa.available(), pa.capacity());
    held.clear();
    EXPECT_EQ(pb.available(), pb.capacity());
    // After close: sends are refused and counted, polls return nothing.
    EXPECT_FALSE(send_bytes(*a, pa, inet_address::v4({127, 0, 0, 1}, 9), 10, 0));
    EXPECT_EQ(b->poll(rx, 0), 0u);
  }
  EXPECT_EQ(pa.available(), pa.capacity());
  EXPECT_EQ(pb.available(), pb.capacity());
}

TEST_P(conformance, send_queue_full_is_counted) {
  buffer_pool pa({.slab_size = 256, .count = 4096, .headroom = 64});
  auto a = open(pa, v4_loopback());
  ASSERT_TRUE(a);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < 3000; ++i)
    if (!send_bytes(*a, pa, inet_address::v4({127, 0, 0, 1}, 9), 8, i)) ++refused;
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(a->counters().tx_dropped_queue_full, refused);
  a->close();
  EXPECT_EQ(pa.available(), pa.capacity());
}

std::vector<std::string> kinds() {
  return {"io_uring", "io_uring_defer", "io_uring_single_shot", "io_uring_no_gso", "epoll", "sim"};
}

INSTANTIATE_TEST_SUITE_P(backends, conformance, ::testing::ValuesIn(kinds()),
                         [](const auto& info) { return info.param; });

TEST(make_backend, automatic_and_explicit_kinds) {
  buffer_pool pool({});
  auto e = make_backend(backend_kind::epoll, pool);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->name(), "epoll");
  auto a = make_backend(backend_kind::automatic, pool);
  ASSERT_TRUE(a.ok());
  auto u = make_backend(backend_kind::io_uring, pool);
  if (uring_backend::probe().ok()) {
    ASSERT_TRUE(u.ok());
    EXPECT_EQ((*u)->name(), "io_uring");
    EXPECT_EQ((*a)->name(), "io_uring");
  } else {
    EXPECT_FALSE(u.ok());
    EXPECT_EQ((*a)->name(), "epoll");
  }
}

// The provided-buffer ring lends at most lend_bytes of slabs (FIFO over a large ring means
// cold caches), at least 4, and still receives everything when more arrive than it lends.
TEST(uring_lend, bytes_cap_the_slabs_lent_to_the_kernel) {
  if (!uring_backend::probe().ok()) GTEST_SKIP() << "no io_uring";
  buffer_pool big({.slab_size = 66 * 1024, .count = 128, .headroom = 128});
  uring_backend a(big);
  socket_options o;
  o.bind = inet_address::v4({127, 0, 0, 1}, 0);
  ASSERT_TRUE(a.open(o).ok());
  if (!a.multishot()) GTEST_SKIP() << "single-shot receive: no provided-buffer ring";
  EXPECT_TRUE(a.gro());
  const std::size_t want = (std::size_t{2} << 20) / (66 * 1024);  // 31, not 64 (half the pool)
  EXPECT_EQ(a.lent(), want);
  EXPECT_EQ(big.available(), big.capacity() - want);

  buffer_pool small({.slab_size = 2048, .count = 4096, .headroom = 128});
  uring_backend b(small);  // 2 KiB slabs: the ring's 1024 entries, as before the cap
  ASSERT_TRUE(b.open(o).ok());
  EXPECT_EQ(b.lent(), 1024u);

  // Four slabs lent, 40 datagrams sent: the ring runs dry and refills; none is lost.
  buffer_pool tiny_pool({.slab_size = 2048, .count = 64, .headroom = 128});
  uring_config c;
  c.lend_bytes = 0;
  uring_backend r(tiny_pool, c);
  ASSERT_TRUE(r.open(o).ok());
  EXPECT_EQ(r.lent(), 4u);
  buffer_pool sp({});
  epoll_backend s(sp);
  ASSERT_TRUE(s.open(o).ok());
  for (std::size_t i = 0; i < 40; ++i) {
    buf::packet_buffer p = sp.get();
    ASSERT_TRUE(p);
    std::memset(p.append(100), static_cast<int>(i), 100);
    ASSERT_TRUE(s.send({std::move(p), r.local_address(), 0}));
  }
  s.flush();
  std::size_t got = 0;
  rx_datagram rx[8];
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (got < 40 && std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = r.poll(rx, 100'000'000);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(rx[i].buffer.size(), 100u);
      rx[i].buffer = {};
    }
    got += n;
  }
  EXPECT_EQ(got, 40u);
  EXPECT_EQ(r.counters().rx_dropped_no_buffer, 0u);
  EXPECT_LE(r.lent(), 4u);
}

TEST(socket_errors, name_the_address_and_the_reason) {
  buffer_pool pool({});
  epoll_backend a(pool), b(pool);
  socket_options o;
  o.bind = inet_address::v4({127, 0, 0, 1}, 0);
  ASSERT_TRUE(a.open(o).ok());
  o.bind = a.local_address();
  status s = b.open(o);  // taken, no SO_REUSEPORT
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(a.local_address().to_string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace ztkit::io
