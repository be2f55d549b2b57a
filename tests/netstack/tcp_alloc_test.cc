// The TCP steady path allocates nothing: once two sets hold an established connection, data
// both ways, ACKs, delayed ACKs, keepalives on an idle connection and the demultiplexing of
// every segment run without a single operator new. This binary counts them
// (tests/support/alloc_counter.h); frames travel in fixed arrays.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "netstack/tcp/tcp_socket_set.h"
#include "tests/support/alloc_counter.h"

namespace ztkit::netstack {
namespace {

struct frame {
  std::array<std::uint8_t, 2048> b;
  std::size_t len = 0;
  inet_address src, dst;
};

struct rig {
  static tcp_socket_set::config cfg(std::uint8_t k) {
    tcp_socket_set::config c;
    c.max_sockets = 4;
    c.socket.rx_buffer = c.socket.tx_buffer = 64 * 1024;
    c.socket.mtu = 1500;
    c.socket.keepalive_idle_ms = 5000;
    c.socket.keepalive_interval_ms = 1000;
    c.secret[0] = k;
    return c;
  }
  tcp_socket_set a{cfg(1)}, b{cfg(2)};
  std::array<frame, 256> frames;
  std::uint64_t now = 1000;

  // Moves everything each side sends to the other until both are quiet.
  void pump() {
    for (int round = 0; round < 64; ++round) {
      std::size_t moved = move(a, b) + move(b, a);
      if (!moved) return;
    }
  }
  std::size_t move(tcp_socket_set& from, tcp_socket_set& to) {
    std::size_t n = 0;
    tcp_segment seg;
    while (n < frames.size() && from.poll(now, seg)) {
      frame& f = frames[n++];
      f.len = seg.emit(f.b);
      f.src = seg.local;
      f.src.port = seg.repr.src_port;
      f.dst = seg.remote;
      f.dst.port = seg.repr.dst_port;
    }
    for (std::size_t i = 0; i < n; ++i) {
      frame& f = frames[i];
      auto p = wire::tcp_packet::new_checked({f.b.data(), f.len});
      wire::tcp_repr r;
      if (!p || wire::tcp_repr::parse(*p, wire::ipv4_address::from_inet(f.src),
                                      wire::ipv4_address::from_inet(f.dst), r) != wire::tcp_error::ok)
        continue;
      to.process(now, f.src, f.dst, r, p->payload());
    }
    return n;
  }
};

TEST(TcpAllocation, SteadyStateAllocatesNothing) {
  rig r;
  auto l = r.b.listen(inet_address::v4({10, 0, 0, 2}, 80));
  auto c = r.a.connect(r.now, inet_address::v4({10, 0, 0, 1}, 0), inet_address::v4({10, 0, 0, 2}, 80));
  ASSERT_TRUE(l && c);
  r.pump();
  auto s = r.b.accept(*l);
  ASSERT_TRUE(s);
  tcp_socket& cs = r.a.get(*c);
  tcp_socket& ss = r.b.get(*s);
  std::array<std::uint8_t, 8192> out{}, in{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i);

  auto exchange = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      r.now += 1;
      cs.send(out);
      ss.send(std::span(out).first(100));
      r.pump();
      while (ss.recv(in)) {}
      while (cs.recv(in)) {}
      r.pump();
    }
  };
  auto idle = [&](std::uint64_t ms) {
    std::uint64_t end = r.now + ms;
    while (r.now < end) {
      std::uint64_t t = std::min(r.a.poll_at(), r.b.poll_at());
      r.now = std::min(end, std::max(r.now + 1, t));
      r.pump();
    }
  };
  exchange(50);  // warm up: windows open, congestion window grows
  idle(20000);   // keepalives, delayed ACKs

  ztkit::testing::allocation_scope scope;
  exchange(200);
  idle(20000);
  exchange(50);
  scope.stop();
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(cs.state(), tcp_state::established);
  EXPECT_GT(ss.counters().bytes_in, 250u * 8192);
  EXPECT_GT(cs.counters().keepalives, 0u);
}

TEST(TcpAllocation, ReusedSocketSlotAllocatesNothing) {
  rig r;
  auto l = r.b.listen(inet_address::v4({10, 0, 0, 2}, 80));
  auto cycle = [&] {
    auto c = r.a.connect(r.now, inet_address::v4({10, 0, 0, 1}, 0), inet_address::v4({10, 0, 0, 2}, 80));
    r.pump();
    auto s = r.b.accept(*l);
    r.b.release(*s);  // server closes first: TIME-WAIT there
    r.pump();
    r.a.release(*c);
    r.pump();
    r.now += 70000;  // past TIME-WAIT (60 s)
    r.pump();
  };
  cycle();
  cycle();
  ztkit::testing::allocation_scope scope;
  for (int i = 0; i < 20; ++i) cycle();
  scope.stop();
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(r.a.open_sockets(), 0u);
  EXPECT_EQ(r.b.open_sockets(), 0u);
}

}  // namespace
}  // namespace ztkit::netstack
