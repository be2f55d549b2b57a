// TcpStream / TcpListener end to end in one process over real UDP on 127.0.0.1: a root +
// controller Node and two members; TCP both ways over IPv4 and over the network's RFC 4193
// IPv6 addresses, a bulk transfer checked byte for byte, half-close, readiness fds, and the
// errors a user meets (refused, no route, not joined, timeouts, closed streams).
#include <poll.h>

#include <array>
#include <chrono>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::free_udp_port;
using test::temp_dir;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

struct tcp_world : ::testing::Test {
  temp_dir tmp{"ztkit-tcp"};
  std::unique_ptr<Node> root, a, b;
  std::uint64_t nwid = 0;
  IpAddress ip_a, ip_b;

  void SetUp() override {
    const int port = free_udp_port();
    ASSERT_GT(port, 0);
    NodeOptions ro;
    ro.state_dir = (tmp.path / "root").string();
    ro.listen = "127.0.0.1:" + std::to_string(port);
    ro.root_endpoint = SocketAddress::parse(ro.listen);
    ro.controller = true;
    ro.allow_loopback = true;
    auto r = Node::start(ro);
    ASSERT_TRUE(r) << r.error().message;
    root = std::move(*r);
    ControllerNetwork cn;
    cn.suffix = 0x0000b2;
    cn.pool_first = IpAddress::v4(10, 147, 31, 1);
    cn.pool_last = IpAddress::v4(10, 147, 31, 100);
    auto n = root->create_network(cn);
    ASSERT_TRUE(n) << n.error().message;
    nwid = *n;
    for (auto [name, node] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
      NodeOptions mo;
      mo.state_dir = (tmp.path / name).string();
      mo.listen = "127.0.0.1:0";
      mo.planet_file = root->planet_file();
      mo.allow_loopback = true;
      auto m = Node::start(mo);
      ASSERT_TRUE(m) << m.error().message;
      *node = std::move(*m);
      ASSERT_TRUE(root->authorize(nwid, (*node)->address()));
      ASSERT_TRUE((*node)->join(nwid));
    }
    for (auto* node : {a.get(), b.get()}) {
      auto info = node->wait_network_ready(nwid, 20s);
      ASSERT_TRUE(info) << info.error().message;
      (node == a.get() ? ip_a : ip_b) = info->addresses.at(0).ip;
    }
  }
};

TEST_F(tcp_world, ConnectAcceptEchoBothWays) {
  auto l = TcpListener::listen(*b, nwid, {{}, 8080});
  ASSERT_TRUE(l) << l.error().message;
  auto c = TcpStream::connect(*a, nwid, {ip_b, 8080}, 10s);
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(10s);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(c->peer_address().to_string(), ip_b.to_string() + ":8080");
  EXPECT_EQ(s->peer_address().ip, ip_a);
  EXPECT_EQ(s->peer_address().port, c->local_address().port);
  EXPECT_EQ(s->local_address().to_string(), ip_b.to_string() + ":8080");

  ASSERT_TRUE(c->write_all(bytes_of("hello over ztkit"), 5s));
  std::array<std::byte, 64> buf;
  std::string got;
  while (got.size() < 16) {
    auto n = s->read(buf, 5s);
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_GT(*n, 0u);
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  EXPECT_EQ(got, "hello over ztkit");
  ASSERT_TRUE(s->write_all(bytes_of("and back"), 5s));
  auto n = c->read(buf, 5s);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "and back");

  // Half-close: c shuts down its side; s reads EOF but can still write.
  ASSERT_TRUE(c->shutdown_write());
  auto eof = s->read(buf, 5s);
  ASSERT_TRUE(eof) << eof.error().message;
  EXPECT_EQ(*eof, 0u);
  ASSERT_TRUE(s->write_all(bytes_of("after half-close"), 5s));
  std::string tail;
  while (tail.size() < 16) {
    auto m = c->read(buf, 5s);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_GT(*m, 0u);
    tail.append(reinterpret_cast<const char*>(buf.data()), *m);
  }
  EXPECT_EQ(tail, "after half-close");
  s->close();
  auto end = c->read(buf, 5s);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 0u);
}

TEST_F(tcp_world, BulkTransferIsByteExact) {
  auto l = TcpListener::listen(*b, nwid, {ip_b, 9000});
  ASSERT_TRUE(l) << l.error().message;
  auto c = TcpStream::connect(*a, nwid, {ip_b, 9000});
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(10s);
  ASSERT_TRUE(s);
  constexpr std::size_t total = 8 << 20;
  std::vector<std::byte> data(total);
  for (std::size_t i = 0; i < total; ++i) data[i] = static_cast<std::byte>((i * 2654435761u) >> 24);
  std::thread writer([&] {
    EXPECT_TRUE(c->write_all(data, 60s));
    EXPECT_TRUE(c->shutdown_write());
  });
  std::vector<std::byte> got;
  got.reserve(total);
  std::array<std::byte, 65536> buf;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    auto n = s->read(buf, 30s);
    ASSERT_TRUE(n) << n.error().message << " after " << got.size() << " bytes";
    if (*n == 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  writer.join();
  ASSERT_EQ(got.size(), total);
  EXPECT_TRUE(got == data);
  std::printf("8 MiB over ztkit TCP (ZeroTier over 127.0.0.1, one node thread each): %.1f ms, %.0f Mbit/s\n",
              secs * 1000, total * 8 / secs / 1e6);
  EXPECT_GT(c->stats().bytes_sent, 0u);
}

// A zero-timeout read/accept that finds nothing lowers the readiness fd (else an epoll loop
// waiting on it spins: found with zt expose, which had worked around it with 1 ms waits).
TEST_F(tcp_world, WouldBlockLowersTheReadinessFd) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7002});
  ASSERT_TRUE(l);
  auto c = TcpStream::connect(*a, nwid, {ip_b, 7002}, 10s);
  ASSERT_TRUE(c) << c.error().message;
  pollfd lp{l->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&lp, 1, 5000), 1);
  auto s = l->accept(0ms);
  ASSERT_TRUE(s) << s.error().message;
  auto none = l->accept(0ms);
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error().is(Errc::would_block));
  lp.revents = 0;
  EXPECT_EQ(::poll(&lp, 1, 0), 0) << "listener fd still readable with nothing to accept";

  ASSERT_TRUE(s->write_all(bytes_of("ping"), 5s));
  pollfd cp{c->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&cp, 1, 5000), 1);
  std::array<std::byte, 64> buf;
  std::size_t got = 0;
  while (got < 4) {
    auto n = c->read(buf, 5s);
    ASSERT_TRUE(n) << n.error().message;
    got += *n;
  }
  auto empty = c->read(buf, 0ms);
  ASSERT_FALSE(empty);
  EXPECT_TRUE(empty.error().is(Errc::would_block));
  cp.revents = 0;
  EXPECT_EQ(::poll(&cp, 1, 0), 0) << "stream fd still readable with nothing to read";
}

TEST_F(tcp_world, ReadinessFdAndErrors) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7001});
  ASSERT_TRUE(l);
  // Listener fd readable once a connection waits.
  pollfd lp{l->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&lp, 1, 0), 0);
  auto c = TcpStream::connect(*a, nwid, {ip_b, 7001});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(::poll(&lp, 1, 5000), 1);
  auto s = l->accept(0ms);
  ASSERT_TRUE(s) << s.error().message;
  std::array<std::byte, 16> buf;
  EXPECT_TRUE(s->read(buf, 0ms).error().is(Errc::would_block));
  EXPECT_TRUE(s->read(buf, 30ms).error().is(Errc::timed_out));
  pollfd sp{s->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&sp, 1, 0), 0);
  ASSERT_TRUE(c->write_all(bytes_of("x"), 5s));
  ASSERT_EQ(::poll(&sp, 1, 5000), 1);
  EXPECT_EQ(*s->read(buf, 0ms), 1u);

  // Refused: nobody listens on 7002 (RST).
  auto r = TcpStream::connect(*a, nwid, {ip_b, 7002}, 5s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::connection_refused)) << r.error().message;
  // No route; bad arguments; a network not joined; a port in use.
  auto nr = TcpStream::connect(*a, nwid, {IpAddress::v4(192, 0, 2, 1), 80}, 1s);
  ASSERT_FALSE(nr);
  EXPECT_TRUE(nr.error().is(Errc::no_route)) << nr.error().message;
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {}, 1s).error().is(Errc::invalid_argument));
  EXPECT_TRUE(TcpStream::connect(*a, 0x1234, {ip_b, 1}, 1s).error().is(Errc::not_joined));
  EXPECT_TRUE(TcpListener::listen(*b, nwid, {{}, 7001}).error().is(Errc::address_in_use));
  EXPECT_TRUE(TcpListener::listen(*b, nwid, {{}, 0}).error().is(Errc::invalid_argument));
  // Reset: the peer aborts; our read reports it.
  s->abort();
  auto rr = c->read(buf, 5s);
  ASSERT_FALSE(rr);
  EXPECT_TRUE(rr.error().is(Errc::connection_reset)) << rr.error().message;
  // A closed stream / listener.
  c->close();
  c->close();
  EXPECT_TRUE(c->write(bytes_of("x")).error().is(Errc::closed));
  l->close();
  EXPECT_TRUE(l->accept(0ms).error().is(Errc::closed));
  // A stopped node.
  auto l2 = TcpListener::listen(*b, nwid, {{}, 7003});
  ASSERT_TRUE(l2);
  b->stop();
  EXPECT_TRUE(l2->accept(10ms).error().is(Errc::stopped));
}

}  // namespace
}  // namespace ztkit
