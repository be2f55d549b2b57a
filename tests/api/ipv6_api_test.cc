// IPv6 through the public API between two members of a network whose controller assigns
// rfc4193 (fd<nwid>9993<address>/88) and 6plane (fc<nwid folded>:<address>::1/40) addresses:
// TCP and UDP both ways over each, endpoints reported as IPv6, ICMPv6 echo, and the errors for
// an IPv6 destination that no address of the network routes to.
#include <array>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/api/api_world.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::bytes_of;

struct ipv6_world : test::api_world {
  // A TCP exchange from `from` to `to_ip` on port `port` (the listener on `to`), both ways.
  void tcp_both_ways(Node& from, Node& to, const IpAddress& from_ip, const IpAddress& to_ip, std::uint16_t port) {
    auto l = TcpListener::listen(to, nwid, {to_ip, port});
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(l->local_address().ip, to_ip);
    auto c = TcpStream::connect(from, nwid, {to_ip, port}, 10s);
    ASSERT_TRUE(c) << c.error().message << " to " << to_ip.to_string();
    auto s = l->accept(10s);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(c->local_address().ip, from_ip);
    EXPECT_EQ(c->peer_address().to_string(), "[" + to_ip.to_string() + "]:" + std::to_string(port));
    EXPECT_EQ(s->peer_address().ip, from_ip);
    EXPECT_EQ(s->peer_address().port, c->local_address().port);
    std::array<std::byte, 64> buf;
    ASSERT_TRUE(c->write_all(bytes_of("over ipv6: there"), 5s));
    std::string got;
    while (got.size() < 16) {
      auto n = s->read(buf, 5s);
      ASSERT_TRUE(n) << n.error().message;
      ASSERT_GT(*n, 0u);
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_EQ(got, "over ipv6: there");
    ASSERT_TRUE(s->write_all(bytes_of("and back"), 5s));
    got.clear();
    while (got.size() < 8) {
      auto n = c->read(buf, 5s);
      ASSERT_TRUE(n) << n.error().message;
      ASSERT_GT(*n, 0u);
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_EQ(got, "and back");
    ASSERT_TRUE(c->close());
    auto eof = s->read(buf, 5s);
    ASSERT_TRUE(eof) << eof.error().message;
    EXPECT_EQ(*eof, 0u);
  }

  void udp_both_ways(Node& x, Node& y, const IpAddress& x_ip, const IpAddress& y_ip, std::uint16_t port) {
    auto sx = UdpSocket::bind(x, nwid, {x_ip, port});
    ASSERT_TRUE(sx) << sx.error().message;
    auto sy = UdpSocket::bind(y, nwid, {{}, port});  // any address: IPv6 arrives too
    ASSERT_TRUE(sy) << sy.error().message;
    ASSERT_TRUE(sx->send_to(bytes_of("ping6"), {y_ip, port}));
    std::array<std::byte, 64> buf;
    SocketAddress from;
    auto n = sy->recv_from(buf, &from, 5s);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "ping6");
    EXPECT_EQ(from.ip, x_ip);
    EXPECT_EQ(from.port, port);
    ASSERT_TRUE(sy->send_to(bytes_of("pong6"), from));
    n = sx->recv_from(buf, &from, 5s);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "pong6");
    EXPECT_EQ(from.ip, y_ip);
  }
};

TEST_F(ipv6_world, TcpBothWaysOverRfc4193And6plane) {
  tcp_both_ways(*a, *b, ip_a.rfc4193, ip_b.rfc4193, 8601);
  tcp_both_ways(*b, *a, ip_b.rfc4193, ip_a.rfc4193, 8602);
  tcp_both_ways(*a, *b, ip_a.sixplane, ip_b.sixplane, 8603);
  tcp_both_ways(*b, *a, ip_b.sixplane, ip_a.sixplane, 8604);
}

TEST_F(ipv6_world, UdpBothWaysOverRfc4193And6plane) {
  udp_both_ways(*a, *b, ip_a.rfc4193, ip_b.rfc4193, 8701);
  udp_both_ways(*b, *a, ip_b.rfc4193, ip_a.rfc4193, 8702);
  udp_both_ways(*a, *b, ip_a.sixplane, ip_b.sixplane, 8703);
  udp_both_ways(*b, *a, ip_b.sixplane, ip_a.sixplane, 8704);
}

TEST_F(ipv6_world, PingAndErrors) {
  for (const auto& ip : {ip_b.rfc4193, ip_b.sixplane}) {
    auto rtt = a->ping(nwid, ip, 5s);
    ASSERT_TRUE(rtt) << rtt.error().message << " pinging " << ip.to_string();
  }
  // An IPv6 address no address of the network routes to.
  auto nr = TcpStream::connect(*a, nwid, *SocketAddress::parse("[2001:db8::1]:80"), 1s);
  ASSERT_FALSE(nr);
  EXPECT_TRUE(nr.error().is(Errc::no_route)) << nr.error().message;
  // Binding to someone else's IPv6 address.
  auto bad = UdpSocket::bind(*a, nwid, {ip_b.rfc4193, 9});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().is(Errc::invalid_argument)) << bad.error().message;
  // Nobody listens: refused over IPv6 too.
  auto r = TcpStream::connect(*a, nwid, {ip_b.sixplane, 8699}, 5s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::connection_refused)) << r.error().message;
}

}  // namespace
}  // namespace ztkit
