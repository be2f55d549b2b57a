// The input path allocates nothing in steady state (issue 8, "Done when"). This binary replaces
// global operator new to count allocations; everything is set up and warmed first, then the
// count must not move while frames of every kind go through process() and poll().
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "netstack/iface/interface.h"
#include "tests/netstack/packets.h"
#include "tests/support/alloc_counter.h"

namespace ztkit::netstack {
namespace {

using namespace wire;
using namespace test_packets;

interface_config config_for(std::uint8_t n) {
  interface_config c;
  c.mac = n == 2 ? mac_address{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}}
                 : mac_address{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}};
  c.mtu = 1500;
  c.ipv4.push_back({ipv4_address{{10, 99, 0, n}}, 24});
  ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = 0x99;
  a.b[15] = n;
  c.ipv6.push_back({a, 64});
  c.icmp_errors_per_s = 1'000'000;
  return c;
}

TEST(Allocation, SteadyStateInputAndOutputPathsAllocateNothing) {
  buf::buffer_pool pool({2048, 1024, 128});
  interface us(config_for(2), pool);    // 10.99.0.2 (the frames in packets.h are for it)
  interface peer(config_for(1), pool);  // 10.99.0.1, to produce fragmented traffic
  auto h = us.udp().open();
  ASSERT_EQ(us.udp().bind(*h, ipv4_address{{10, 99, 0, 2}}.to_inet(5353)), udp_error::ok);
  auto h6 = us.udp().open();
  ipv6_address us6 = us.config().ipv6[0].addr;
  ASSERT_EQ(us.udp().bind(*h6, us6.to_inet(5353)), udp_error::ok);
  auto hp = peer.udp().open();
  ASSERT_EQ(peer.udp().bind(*hp, inet_address{}), udp_error::ok);
  std::vector<std::uint8_t> big(8000, 0x5a);
  std::vector<std::uint8_t> rx(70000);
  std::vector<std::vector<std::uint8_t>> frames;
  frames.reserve(64);
  for (auto& f : frames) f.reserve(2048);

  std::vector<std::uint8_t> closed_port = udp4_frame;  // to a closed port: port unreachable
  closed_port[37] = 0x99;  // dst port changes; fix the UDP checksum by moving the difference
  closed_port[41] = static_cast<std::uint8_t>(closed_port[41] - 0x99 + 0xe9);

  std::uint64_t now = 1000;
  std::size_t out_frames = 0;
  auto round = [&] {
    now += 1;
    auto consume = [&](std::span<buf::packet_buffer> s) {
      out_frames += s.size();
      for (auto& f : s) f = buf::packet_buffer{};
    };
    consume(us.process(now, arp_request_frame));
    consume(us.process(now, ns_frame));
    consume(us.process(now, icmp_echo_frame));
    consume(us.process(now, echo6_frame));
    consume(us.process(now, udp4_frame));
    consume(us.process(now, udp6_frame));
    consume(us.process(now, closed_port));
    while (us.udp().get(*h).recv_from(rx)) {}
    while (us.udp().get(*h6).recv_from(rx)) {}
    // A fragmented datagram from the peer (learned MACs both ways), reassembled by us.
    peer.udp().get(*hp).send_to(big, ipv4_address{{10, 99, 0, 2}}.to_inet(5353));
    auto s = peer.poll(now);
    std::size_t n = s.size();
    // Move the peer's frames out before `us` runs (each call reuses its tx list).
    buf::packet_buffer held[16];
    for (std::size_t i = 0; i < n && i < 16; ++i) held[i] = std::move(s[i]);
    for (std::size_t i = 0; i < n && i < 16; ++i) {
      // Our answers (an ARP reply during warm-up) go back to the peer.
      auto r = us.process(now, held[i]);
      buf::packet_buffer back[4];
      std::size_t m = r.size() < 4 ? r.size() : 4;
      for (std::size_t j = 0; j < m; ++j) back[j] = std::move(r[j]);
      for (std::size_t j = 0; j < m; ++j) consume(peer.process(now, back[j]));
    }
    while (us.udp().get(*h).recv_from(rx)) {}
    consume(us.poll(now));
    // And ours to the peer.
    us.udp().get(*h).send_to(big, ipv4_address{{10, 99, 0, 1}}.to_inet(9));
    consume(us.poll(now));
  };
  // Warm up: neighbors learned, rings touched, pool slabs cycled.
  for (int i = 0; i < 50; ++i) round();
  std::size_t before = ztkit::testing::allocation_count();
  for (int i = 0; i < 2000; ++i) round();
  std::size_t after = ztkit::testing::allocation_count();
  EXPECT_EQ(after - before, 0u) << "allocations in steady state";
  EXPECT_GT(out_frames, 2000u * 5);
  EXPECT_GE(us.counters().udp_delivered, 2000u * 3);
  EXPECT_GE(us.reassembly().counters().completed, 2000u);
}

}  // namespace
}  // namespace ztkit::netstack
