// A private ZeroTier world for API tests, in one process over real UDP on 127.0.0.1: a root +
// controller node and two members `a` and `b` on a network that assigns each member an IPv4
// address from a pool plus its rfc4193 and 6plane IPv6 addresses.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "ztkit/node.h"

namespace ztkit::test {

struct member_addresses {
  IpAddress v4, rfc4193, sixplane;
};

inline std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

struct api_world : ::testing::Test {
  temp_dir tmp{"ztkit-api"};
  std::unique_ptr<Node> root, a, b;
  std::uint64_t nwid = 0;
  member_addresses ip_a, ip_b;
  // NodeOptions::shards of a and b (a fixture may run its members on several data shards).
  unsigned shards_a = 1, shards_b = 1;

  void SetUp() override {
    using namespace std::chrono_literals;
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
    cn.suffix = 0x0000b3;
    cn.pool_first = IpAddress::v4(10, 147, 33, 1);
    cn.pool_last = IpAddress::v4(10, 147, 33, 100);
    cn.v6_rfc4193 = true;
    cn.v6_6plane = true;
    auto n = root->create_network(cn);
    ASSERT_TRUE(n) << n.error().message;
    nwid = *n;
    for (auto [name, node] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
      NodeOptions mo;
      mo.state_dir = (tmp.path / name).string();
      mo.listen = "127.0.0.1:0";
      mo.planet_file = root->planet_file();
      mo.allow_loopback = true;
      mo.shards = node == &a ? shards_a : shards_b;
      auto m = Node::start(mo);
      ASSERT_TRUE(m) << m.error().message;
      *node = std::move(*m);
      ASSERT_TRUE(root->authorize(nwid, (*node)->address()));
      ASSERT_TRUE((*node)->join(nwid));
    }
    for (auto* node : {a.get(), b.get()}) {
      auto info = node->wait_network_ready(nwid, 20s);
      ASSERT_TRUE(info) << info.error().message;
      member_addresses& m = node == a.get() ? ip_a : ip_b;
      for (const auto& p : info->addresses) {
        if (p.ip.family == IpAddress::Family::v4) m.v4 = p.ip;
        else if (p.ip.bytes[0] == 0xfd) m.rfc4193 = p.ip;
        else if (p.ip.bytes[0] == 0xfc) m.sixplane = p.ip;
      }
      ASSERT_FALSE(m.v4.is_any());
      ASSERT_FALSE(m.rfc4193.is_any()) << "no rfc4193 address";
      ASSERT_FALSE(m.sixplane.is_any()) << "no 6plane address";
    }
  }
};

}  // namespace ztkit::test
