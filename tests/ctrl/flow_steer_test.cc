// flow_steer (which lane of a network's stack owns a frame) and frame_ring (how frames cross
// between shard 0 and a lane): frames built byte by byte, as the port delivers them.
#include "ctrl/runtime/flow_steer.h"

#include <array>
#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ctrl/runtime/frame_ring.h"

namespace ztkit::ctrl {
namespace {

using flow_steer::frame_route;
using wire::inet_address;

// An Ethernet frame carrying a TCP segment (20-byte header, no payload) from `src` to `dst`.
std::vector<std::uint8_t> tcp_frame(const inet_address& src, const inet_address& dst,
                                    std::uint16_t frag = 0x4000 /* DF */) {
  const bool v6 = src.fam == inet_address::family::ipv6;
  std::vector<std::uint8_t> f(14 + (v6 ? 40 : 20) + 20, 0);
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  std::uint8_t* ip = f.data() + 14;
  std::uint8_t* tcp;
  if (v6) {
    ip[0] = 0x60;
    ip[4] = 0;
    ip[5] = 20;
    ip[6] = 6;
    ip[7] = 64;
    std::memcpy(ip + 8, src.ip.data(), 16);
    std::memcpy(ip + 24, dst.ip.data(), 16);
    tcp = ip + 40;
  } else {
    ip[0] = 0x45;
    ip[3] = 40;
    ip[6] = static_cast<std::uint8_t>(frag >> 8);
    ip[7] = static_cast<std::uint8_t>(frag);
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, src.ip.data(), 4);
    std::memcpy(ip + 16, dst.ip.data(), 4);
    tcp = ip + 20;
  }
  tcp[0] = static_cast<std::uint8_t>(src.port >> 8);
  tcp[1] = static_cast<std::uint8_t>(src.port);
  tcp[2] = static_cast<std::uint8_t>(dst.port >> 8);
  tcp[3] = static_cast<std::uint8_t>(dst.port);
  tcp[12] = 0x50;
  return f;
}

inet_address v4(std::uint8_t last, std::uint16_t port) { return inet_address::v4({10, 147, 17, last}, port); }
inet_address v6(std::uint8_t last, std::uint16_t port) {
  std::array<std::uint8_t, 16> a{0xfd, 0x80, 0x56, 0xc2};
  a[15] = last;
  return inet_address::v6(a, port);
}

TEST(flow_steer, InboundFramesLandWhereTheLocalSideHashesTheFlow) {
  for (unsigned lanes : {2u, 3u, 5u, 64u})
    for (std::uint16_t p = 49152; p < 49152 + 300; ++p)
      for (auto [local, remote] : {std::pair{v4(1, 8080), v4(2, p)}, std::pair{v4(1, p), v4(9, 443)},
                                   std::pair{v6(1, 22), v6(2, p)}}) {
        const auto r = flow_steer::route_frame(tcp_frame(remote, local), lanes);
        ASSERT_EQ(r.what, frame_route::kind::lane);
        ASSERT_EQ(r.lane, flow_steer::lane_of(local, remote, lanes)) << lanes << " lanes, port " << p;
        ASSERT_LT(r.lane, lanes);
      }
}

TEST(flow_steer, ConsecutivePortsSpreadEvenly) {
  for (unsigned lanes : {2u, 4u}) {
    std::map<unsigned, int> n;
    for (std::uint32_t p = 49152; p < 49152 + 4096; ++p)
      ++n[flow_steer::lane_of(v4(1, static_cast<std::uint16_t>(p)), v4(2, 5201), lanes)];
    ASSERT_EQ(n.size(), lanes);
    for (auto [lane, count] : n) {
      EXPECT_GT(count, 4096 / static_cast<int>(lanes) * 9 / 10) << "lane " << lane;
      EXPECT_LT(count, 4096 / static_cast<int>(lanes) * 11 / 10) << "lane " << lane;
    }
  }
}

TEST(flow_steer, PortForLaneFindsDistinctEphemeralPortsThatHashHome) {
  const unsigned lanes = 3;
  for (unsigned lane = 0; lane < lanes; ++lane) {
    std::uint32_t cursor = 12345;
    std::set<std::uint16_t> seen;
    for (int i = 0; i < 200; ++i) {
      const std::uint16_t p = flow_steer::port_for_lane(v4(1, 0), v4(2, 5201), lane, lanes, &cursor);
      ASSERT_GE(p, 49152);
      EXPECT_EQ(flow_steer::lane_of(v4(1, p), v4(2, 5201), lanes), lane);
      EXPECT_TRUE(seen.insert(p).second) << "port " << p << " twice";
    }
  }
  // One lane: every port is home, and nothing is routed away.
  std::uint32_t cursor = 0;
  EXPECT_EQ(flow_steer::port_for_lane(v4(1, 0), v4(2, 80), 0, 1, &cursor), 49152);
  EXPECT_EQ(flow_steer::route_frame(tcp_frame(v4(2, 80), v4(1, 50000)), 1).lane, 0u);
}

TEST(flow_steer, NeighborRepliesGoToEveryLaneAndTheRestToLaneZero) {
  std::vector<std::uint8_t> arp(14 + 28, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  arp[14 + 7] = 2;  // reply
  EXPECT_EQ(flow_steer::route_frame(arp, 3).what, frame_route::kind::every_lane);
  arp[14 + 7] = 1;  // request: lane 0 answers it
  auto r = flow_steer::route_frame(arp, 3);
  EXPECT_EQ(r.what, frame_route::kind::lane);
  EXPECT_EQ(r.lane, 0u);

  auto na = tcp_frame(v6(2, 0), v6(1, 0));
  na[14 + 6] = 58;   // ICMPv6
  na[14 + 40] = 136;  // neighbor advertisement
  EXPECT_EQ(flow_steer::route_frame(na, 2).what, frame_route::kind::every_lane);
  na[14 + 40] = 128;  // echo request: lane 0 only (one answer)
  EXPECT_EQ(flow_steer::route_frame(na, 2).lane, 0u);
  EXPECT_EQ(flow_steer::route_frame(na, 2).what, frame_route::kind::lane);

  auto udp = tcp_frame(v4(2, 53), v4(1, 5353));
  udp[14 + 9] = 17;
  EXPECT_EQ(flow_steer::route_frame(udp, 4).lane, 0u);
  auto hop_by_hop = tcp_frame(v6(2, 80), v6(1, 50000));
  hop_by_hop[14 + 6] = 0;  // an extension header before TCP: lane 0
  EXPECT_EQ(flow_steer::route_frame(hop_by_hop, 4).lane, 0u);
}

TEST(flow_steer, FragmentedTcpIsDroppedOnlyWhenSharded) {
  const auto more = tcp_frame(v4(2, 80), v4(1, 50000), 0x2000);   // MF
  const auto later = tcp_frame(v4(2, 80), v4(1, 50000), 0x0010);  // offset 16
  EXPECT_EQ(flow_steer::route_frame(more, 2).what, frame_route::kind::drop);
  EXPECT_EQ(flow_steer::route_frame(later, 2).what, frame_route::kind::drop);
  EXPECT_EQ(flow_steer::route_frame(more, 1).what, frame_route::kind::lane);
}

TEST(flow_steer, TruncatedFramesStayOnLaneZero) {
  const auto whole = tcp_frame(v4(2, 80), v4(1, 50000));
  for (std::size_t n = 0; n < 14 + 24; ++n) {
    const auto r = flow_steer::route_frame(std::span(whole.data(), n), 3);
    EXPECT_EQ(r.what, frame_route::kind::lane) << n << " bytes";
    EXPECT_EQ(r.lane, 0u) << n << " bytes";
  }
  auto bad_ihl = whole;
  bad_ihl[14] = 0x44;  // IHL 16 bytes
  EXPECT_EQ(flow_steer::route_frame(bad_ihl, 3).lane, 0u);
}

TEST(frame_ring, KeepsOrderAndLengthsAndRefusesWhenFullOrTooLong) {
  frame_ring r(4, 100);
  EXPECT_EQ(r.capacity(), 4u);
  EXPECT_TRUE(r.front().empty());
  std::vector<std::uint8_t> f(100);
  for (std::uint8_t i = 0; i < 4; ++i) {
    f.assign(10u + i, i);
    EXPECT_TRUE(r.try_push(f));
  }
  EXPECT_FALSE(r.try_push(f)) << "a full ring takes nothing";
  EXPECT_FALSE(r.try_push(std::vector<std::uint8_t>(101))) << "longer than max_frame";
  for (std::uint8_t i = 0; i < 4; ++i) {
    auto got = r.front();
    ASSERT_EQ(got.size(), 10u + i);
    EXPECT_EQ(got[0], i);
    EXPECT_EQ(got[got.size() - 1], i);
    r.pop();
  }
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.try_push(f));
}

TEST(frame_ring, CrossesThreadsInOrderWithoutLoss) {
  frame_ring r(64, 64);
  constexpr std::uint32_t n = 200'000;
  std::thread producer([&] {
    std::array<std::uint8_t, 64> f{};
    for (std::uint32_t i = 0; i < n;) {
      const std::size_t len = 4 + i % 60;
      std::memcpy(f.data(), &i, 4);
      for (std::size_t j = 4; j < len; ++j) f[j] = static_cast<std::uint8_t>(i + j);
      if (r.try_push(std::span(f.data(), len))) ++i;
      else std::this_thread::yield();
    }
  });
  std::uint32_t expect = 0;
  bool ok = true;
  while (expect < n) {
    auto f = r.front();
    if (f.empty()) {
      std::this_thread::yield();
      continue;
    }
    std::uint32_t got = 0;
    std::memcpy(&got, f.data(), 4);
    ok = ok && got == expect && f.size() == 4 + expect % 60 &&
         (f.size() == 4 || f[f.size() - 1] == static_cast<std::uint8_t>(expect + f.size() - 1));
    r.pop();
    ++expect;
  }
  producer.join();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace ztkit::ctrl
