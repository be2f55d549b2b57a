// The public API end to end in one process over real UDP on 127.0.0.1: a Node that is root and
// controller of a private network, two member Nodes that join it, and UdpSockets between them
// (include/ztkit/node.h, udp.h). Plus the errors a user meets (not joined, bad addresses,
// timeouts, closed sockets, a stopped node). Every wait is bounded.
#include <poll.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "ztkit/node.h"
#include "ztkit/udp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::free_udp_port;
using test::temp_dir;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

struct world : ::testing::Test {
  temp_dir tmp{"ztkit-api"};
  std::unique_ptr<Node> root, a, b;
  std::uint64_t nwid = 0;

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
    cn.suffix = 0x0000a1;
    cn.name = "api-test";
    cn.pool_first = IpAddress::v4(10, 147, 30, 1);
    cn.pool_last = IpAddress::v4(10, 147, 30, 100);
    auto n = root->create_network(cn);
    ASSERT_TRUE(n) << n.error().message;
    nwid = *n;
    EXPECT_EQ(nwid >> 24, root->address_value());
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
    }
  }

  IpAddress join(Node& n) {
    EXPECT_TRUE(n.join(nwid));
    auto info = n.wait_network_ready(nwid, 20s);
    EXPECT_TRUE(info) << info.error().message;
    if (!info) return {};
    EXPECT_EQ(info->status, NetworkStatus::ok);
    EXPECT_EQ(info->name, "api-test");
    EXPECT_TRUE(info->is_private);
    EXPECT_EQ(info->addresses.size(), 1u);
    return info->addresses.at(0).ip;
  }
};

TEST_F(world, UdpBothWaysBetweenTwoMembers) {
  const IpAddress ip_a = join(*a), ip_b = join(*b);
  ASSERT_EQ(ip_a.family, IpAddress::Family::v4);
  EXPECT_NE(ip_a, ip_b);
  auto sa = UdpSocket::bind(*a, nwid, {{}, 0});
  ASSERT_TRUE(sa) << sa.error().message;
  auto sb = UdpSocket::bind(*b, nwid, {ip_b, 7777});
  ASSERT_TRUE(sb) << sb.error().message;
  EXPECT_NE(sa->local_address().port, 0);
  EXPECT_EQ(sb->local_address().to_string(), ip_b.to_string() + ":7777");

  // b echoes from a thread of its own.
  std::thread echo([&] {
    std::array<std::byte, 2048> buf;
    for (int i = 0; i < 3; ++i) {
      SocketAddress from;
      auto n = sb->recv_from(buf, &from, 10s);
      if (!n) return;
      EXPECT_EQ(from.ip, ip_a);
      sb->send_to(std::span(buf.data(), *n), from);
    }
  });
  for (int i = 0; i < 3; ++i) {
    const std::string msg = "hello " + std::to_string(i);
    ASSERT_TRUE(sa->send_to(bytes_of(msg), {ip_b, 7777}));
    std::array<std::byte, 2048> buf;
    SocketAddress from;
    auto n = sa->recv_from(buf, &from, 10s);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), msg);
    EXPECT_EQ(from.to_string(), ip_b.to_string() + ":7777");
  }
  echo.join();
  EXPECT_EQ(sa->counters().sent, 3u);
  EXPECT_EQ(sb->counters().received, 3u);

  // fd() is readable while a datagram waits, and not after it was read.
  ASSERT_TRUE(sb->send_to(bytes_of("ping"), sa->local_address().ip.is_any()
                                                ? SocketAddress{ip_a, sa->local_address().port}
                                                : sa->local_address()));
  pollfd p{sa->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  std::array<std::byte, 64> buf;
  auto n = sa->recv_from(buf, nullptr, 0ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4u);
  p.revents = 0;
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

// A restarted node comes back on the networks it joined (networks.d), first from its cached
// config, then confirmed by the controller. (On the same UDP port, as zerotier-one restarts on
// 9993: on a new port the root keeps answering the old path while it is alive, up to 19 s,
// exactly as 1.14 ranks alive paths by latency.)
TEST_F(world, RestartRejoinsAndTheControllerConfirms) {
  const IpAddress ip_a = join(*a);
  const std::string dir = (tmp.path / "a").string();
  const std::uint16_t port = a->local_endpoint().port;
  a.reset();
  NodeOptions mo;
  mo.state_dir = dir;
  mo.listen = "127.0.0.1:" + std::to_string(port);
  mo.planet_file = root->planet_file();
  mo.allow_loopback = true;
  auto again = Node::start(mo);
  ASSERT_TRUE(again) << again.error().message;
  auto info = (*again)->wait_network_ready(nwid, 20s);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->addresses.at(0).ip, ip_a);
  EXPECT_FALSE(info->from_cache);
}

TEST_F(world, PingThroughTheStack) {
  const IpAddress ip_a = join(*a), ip_b = join(*b);
  auto rtt = a->ping(nwid, ip_b, 5s);
  ASSERT_TRUE(rtt) << rtt.error().message;
  EXPECT_GT(rtt->count(), 0);
  EXPECT_TRUE(b->ping(nwid, ip_a, 5s));
  // An address on the network nobody has: no reply (ARP fails), timed_out.
  EXPECT_TRUE(a->ping(nwid, IpAddress::v4(10, 147, 30, 99), 300ms).error().is(Errc::timed_out));
  EXPECT_TRUE(a->ping(nwid, IpAddress::v4(192, 0, 2, 1), 300ms).error().is(Errc::no_route));
  EXPECT_TRUE(a->ping(0x77, ip_b).error().is(Errc::not_joined));
}

TEST_F(world, ErrorsAUserMeets) {
  // Not joined.
  auto s = UdpSocket::bind(*a, nwid, {{}, 1});
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().is(Errc::not_joined)) << s.error().message;
  EXPECT_FALSE(a->leave(nwid));
  EXPECT_FALSE(a->network(nwid));
  const IpAddress ip_a = join(*a);
  // Port in use; an address that is not ours.
  auto s1 = UdpSocket::bind(*a, nwid, {{}, 5000});
  ASSERT_TRUE(s1);
  auto s2 = UdpSocket::bind(*a, nwid, {ip_a, 5000});
  ASSERT_FALSE(s2);
  EXPECT_TRUE(s2.error().is(Errc::address_in_use)) << s2.error().message;
  auto s3 = UdpSocket::bind(*a, nwid, {IpAddress::v4(192, 0, 2, 1), 5001});
  ASSERT_FALSE(s3);
  EXPECT_TRUE(s3.error().is(Errc::invalid_argument)) << s3.error().message;
  // Bad destinations and sizes.
  EXPECT_TRUE(s1->send_to(bytes_of("x"), {}).error().is(Errc::invalid_argument));
  std::vector<std::byte> big(70000);
  EXPECT_TRUE(s1->send_to(big, {ip_a, 1}).error().is(Errc::invalid_argument));
  // Timeouts.
  std::array<std::byte, 16> buf;
  EXPECT_TRUE(s1->recv_from(buf, nullptr, 0ms).error().is(Errc::would_block));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(s1->recv_from(buf, nullptr, 50ms).error().is(Errc::timed_out));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
  // A closed socket; closing twice is harmless; its port is free again afterwards.
  s1->close();
  s1->close();
  EXPECT_TRUE(s1->send_to(bytes_of("x"), {ip_a, 1}).error().is(Errc::closed));
  EXPECT_TRUE(s1->recv_from(buf, nullptr, 0ms).error().is(Errc::closed));
  bool rebound = false;
  for (int i = 0; i < 100 && !rebound; ++i) {
    rebound = static_cast<bool>(UdpSocket::bind(*a, nwid, {{}, 5000}));
    if (!rebound) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(rebound);
  // A stopped node.
  auto s4 = UdpSocket::bind(*a, nwid, {{}, 0});
  ASSERT_TRUE(s4);
  a->stop();
  EXPECT_TRUE(s4->recv_from(buf, nullptr, 10ms).error().is(Errc::stopped));
  EXPECT_TRUE(UdpSocket::bind(*a, nwid, {{}, 0}).error().is(Errc::stopped));
  EXPECT_TRUE(a->join(0x1234).error().is(Errc::stopped));
  // Controller calls on a node without a controller, and bad arguments.
  EXPECT_TRUE(b->create_network({}).error().is(Errc::not_found));
  EXPECT_TRUE(root->authorize(nwid, "zz").error().is(Errc::invalid_argument));
  ControllerNetwork bad;
  bad.suffix = 0x1000000;
  EXPECT_TRUE(root->create_network(bad).error().is(Errc::invalid_argument));
}

TEST(NodeOptions, BadOptionsAreClearErrors) {
  EXPECT_TRUE(Node::start({}).error().is(Errc::invalid_argument));
  temp_dir tmp{"ztkit-api-opt"};
  NodeOptions o;
  o.state_dir = (tmp.path / "n").string();
  o.listen = "nonsense";
  EXPECT_TRUE(Node::start(o).error().is(Errc::invalid_argument));
  o.listen = "127.0.0.1:0";
  o.planet_file = (tmp.path / "missing-planet").string();
  auto n = Node::start(o);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("missing-planet"), std::string::npos) << n.error().message;
}

TEST(Address, ParseAndPrint) {
  EXPECT_EQ(SocketAddress::parse("10.1.2.3:80")->to_string(), "10.1.2.3:80");
  EXPECT_EQ(SocketAddress::parse("[fd00::1]:443")->to_string(), "[fd00::1]:443");
  EXPECT_TRUE(SocketAddress::parse("*:9")->ip.is_any());
  EXPECT_FALSE(SocketAddress::parse("10.1.2.3"));
  EXPECT_FALSE(SocketAddress::parse("10.1.2.3:70000"));
  EXPECT_FALSE(SocketAddress::parse("fd00::1:80"));
  EXPECT_FALSE(SocketAddress::parse("[10.1.2.3]:80"));
  EXPECT_FALSE(IpAddress::parse("10.1.2"));
  EXPECT_EQ((IpPrefix{IpAddress::v4(10, 0, 0, 1), 24}).to_string(), "10.0.0.1/24");
}

}  // namespace
}  // namespace ztkit
