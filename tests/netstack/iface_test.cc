// Interface and UDP socket tests with plain frames (packets.h) and with two interfaces wired
// back to back. No I/O, no clock: `now` is a number we choose.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "netstack/iface/interface.h"
#include "netstack/wire/arp.h"
#include "netstack/wire/checksum.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/icmpv4.h"
#include "netstack/wire/icmpv6.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"
#include "netstack/wire/udp.h"
#include "tests/netstack/packets.h"

namespace ztkit::netstack {
namespace {

using namespace wire;
using namespace test_packets;
using bytes = std::vector<std::uint8_t>;

const mac_address mac_us{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}};
const mac_address mac_k{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}};
const ipv4_address ip_us{{10, 99, 0, 2}};
const ipv4_address ip_k{{10, 99, 0, 1}};
ipv6_address v6(std::uint8_t last, std::uint8_t net = 0x99) {
  ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = net;
  a.b[15] = last;
  return a;
}

interface_config config_us() {
  interface_config c;
  c.mac = mac_us;
  c.mtu = 1500;
  c.ipv4.push_back({ip_us, 24});
  c.ipv6.push_back({v6(2), 64});
  return c;
}

std::vector<bytes> take(std::span<buf::packet_buffer> frames) {
  std::vector<bytes> out;
  for (auto& f : frames) {
    out.emplace_back(f.bytes().begin(), f.bytes().end());
    f = buf::packet_buffer{};  // the slab goes back to the pool
  }
  return out;
}

class Iface : public ::testing::Test {
 protected:
  buf::buffer_pool pool{{2048, 512, 128}};
  interface ifc{config_us(), pool};

  std::vector<bytes> in(const bytes& frame, std::uint64_t now = 1000) {
    return take(ifc.process(now, frame));
  }
  void learn_kernel() { ASSERT_EQ(in(arp_request_frame).size(), 1u); ASSERT_EQ(in(ns_frame).size(), 1u); }
};

TEST(InterfaceConfig, MemberMacFromNodeAddressAndNetwork) {
  auto c = interface_config::for_member(zt_address(0x8056c2e21cull), 0x8056c2e21c000001ull);
  EXPECT_EQ(c.mac, ztkit::wire::mac_from_address(zt_address(0x8056c2e21cull), 0x8056c2e21c000001ull));
  EXPECT_EQ(c.mac.bytes[0], ztkit::wire::network_mac_first_octet(0x8056c2e21c000001ull));
  EXPECT_EQ(c.mtu, 2800u);
}

TEST(InterfaceConfig, MtuClampedToWhatASlabHolds) {
  buf::buffer_pool pool({2048, 4, 128});
  interface_config c = config_us();
  c.mtu = 2800;
  interface ifc(c, pool);
  EXPECT_EQ(ifc.config().mtu, 2048u - 128 - 14);
}

// ---- ARP ----

TEST_F(Iface, AnswersArpRequestForOurAddress) {
  auto out = in(arp_request_frame);
  ASSERT_EQ(out.size(), 1u);
  auto eth = ethernet_frame::new_checked(out[0]);
  EXPECT_EQ(eth->dst(), mac_k);
  EXPECT_EQ(eth->src(), mac_us);
  EXPECT_EQ(eth->ethertype(), ethertype::arp);
  auto arp = arp_repr::parse(*arp_packet::new_checked(eth->payload()));
  ASSERT_TRUE(arp);
  EXPECT_EQ(*arp, (arp_repr{arp_repr::reply, mac_us, ip_us, mac_k, ip_k}));
  EXPECT_EQ(ifc.neighbors().lookup(1000, neighbor_key::of(ip_k)), mac_k);
  EXPECT_EQ(ifc.counters().arp_replied, 1u);
}

TEST_F(Iface, IgnoresArpForOtherAddresses) {
  bytes f = arp_request_frame;
  f[41] = 7;  // target 10.99.0.7
  EXPECT_TRUE(in(f).empty());
  EXPECT_FALSE(ifc.neighbors().lookup(1000, neighbor_key::of(ip_k)));
}

TEST_F(Iface, ArpFloodIsBounded) {
  // Requests for our address from 10,000 different senders: the table stays at its size.
  bytes f = arp_request_frame;
  for (int i = 0; i < 10000; ++i) {
    f[30] = static_cast<std::uint8_t>(i >> 8);
    f[31] = static_cast<std::uint8_t>(i);
    f[27] = static_cast<std::uint8_t>(i);
    in(f);
  }
  EXPECT_LE(ifc.neighbors().size(), neighbor_cache::config{}.entries);
  EXPECT_GT(ifc.neighbors().counters().evicted, 0u);
  // Unsolicited replies for unknown senders teach nothing.
  bytes r = arp_request_frame;
  r[21] = 2;
  r[41] = 9;  // not for us
  r[31] = 200;
  in(r);
  EXPECT_FALSE(ifc.neighbors().lookup(1000, neighbor_key::of(ipv4_address{{10, 99, 0, 200}})));
}

TEST_F(Iface, DropsVlanTaggedAndUnknownFrames) {
  bytes f = udp4_frame;
  f[12] = 0x81;
  f[13] = 0x00;
  EXPECT_TRUE(in(f).empty());
  EXPECT_EQ(ifc.counters().rx_vlan, 1u);
  f[12] = 0x88;
  f[13] = 0xb5;
  in(f);
  EXPECT_EQ(ifc.counters().rx_unknown, 1u);
  bytes other = udp4_frame;
  other[5] = 0x77;  // another unicast MAC
  in(other);
  EXPECT_EQ(ifc.counters().rx_not_for_us, 1u);
  in(bytes(udp4_frame.begin(), udp4_frame.begin() + 10));
  EXPECT_EQ(ifc.counters().rx_malformed, 1u);
}

// ---- ICMPv4 ----

TEST_F(Iface, EchoWaitsForArpThenIsAnswered) {
  auto out = in(icmp_echo_frame);
  ASSERT_EQ(out.size(), 1u);  // an ARP request for the sender; the reply waits
  auto arp = arp_repr::parse(*arp_packet::new_checked(ethernet_frame::new_checked(out[0])->payload()));
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation, arp_repr::request);
  EXPECT_EQ(arp->target_ip, ip_k);
  EXPECT_EQ(arp->sender_ip, ip_us);
  EXPECT_EQ(ifc.neighbors().pending(), 1u);
  // The kernel's reply releases the echo reply.
  bytes reply = arp_request_frame;
  std::memcpy(reply.data(), mac_us.bytes.data(), 6);
  arp_repr{arp_repr::reply, mac_k, ip_k, mac_us, ip_us}.emit(std::span(reply).subspan(14));
  out = in(reply);
  ASSERT_EQ(out.size(), 1u);
  auto eth = ethernet_frame::new_checked(out[0]);
  EXPECT_EQ(eth->dst(), mac_k);
  auto ip = ipv4_packet::new_checked(eth->payload());
  ASSERT_TRUE(ip && ip->verify_checksum());
  EXPECT_EQ(ip->src(), ip_us);
  EXPECT_EQ(ip->dst(), ip_k);
  auto icmp = icmpv4_repr::parse(*icmpv4_packet::new_checked(ip->payload()));
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type, icmpv4_repr::echo_reply);
  EXPECT_EQ(icmp->ident, 0x4d2);
  EXPECT_EQ(icmp->seq, 7);
  auto req = ipv4_packet::new_checked(std::span(icmp_echo_frame).subspan(14));
  auto want = req->payload().subspan(8);
  EXPECT_TRUE(std::equal(icmp->data.begin(), icmp->data.end(), want.begin(), want.end()));
}

TEST_F(Iface, BroadcastEchoIsNotAnswered) {
  learn_kernel();
  bytes f = icmp_echo_frame;
  std::memset(f.data(), 0xff, 6);
  f[33] = 255;  // 10.99.0.255
  f[24] = f[25] = 0;
  auto c = checksum::compute(std::span(f).subspan(14, 20));
  f[24] = static_cast<std::uint8_t>(c >> 8);
  f[25] = static_cast<std::uint8_t>(c);
  EXPECT_TRUE(in(f).empty());
}

TEST_F(Iface, BadChecksumsAreCounted) {
  learn_kernel();
  bytes f = icmp_echo_frame;
  f[22] = 1;  // TTL without fixing the header checksum
  EXPECT_TRUE(in(f).empty());
  bytes u = udp4_frame;
  u.back() ^= 0x55;
  EXPECT_TRUE(in(u).empty());
  bytes e = icmp_echo_frame;
  e.back() ^= 1;
  EXPECT_TRUE(in(e).empty());
  EXPECT_EQ(ifc.counters().rx_bad_checksum, 3u);
}

// ---- UDP ----

TEST_F(Iface, UdpDeliveredToBoundSocket) {
  auto h = ifc.udp().open();
  ASSERT_EQ(ifc.udp().bind(*h, ip_us.to_inet(5353)), udp_error::ok);
  EXPECT_TRUE(in(udp4_frame).empty());
  std::uint8_t buf[64];
  auto m = ifc.udp().get(*h).recv_from(buf);
  ASSERT_TRUE(m);
  EXPECT_EQ(std::string(buf, buf + m->len), "hello, ztkit");
  EXPECT_EQ(m->src, ip_k.to_inet(40000));
  EXPECT_EQ(m->dst, ip_us.to_inet(5353));
  EXPECT_FALSE(ifc.udp().get(*h).recv_from(buf));
}

TEST_F(Iface, UdpAnyAddressSocketGetsBothFamilies) {
  auto h = ifc.udp().open();
  inet_address any;
  any.port = 5353;
  ASSERT_EQ(ifc.udp().bind(*h, any), udp_error::ok);
  in(udp4_frame);
  in(udp6_frame);
  std::uint8_t buf[64];
  auto a = ifc.udp().get(*h).recv_from(buf);
  auto b = ifc.udp().get(*h).recv_from(buf);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->src.fam, inet_address::family::ipv4);
  EXPECT_EQ(b->src, v6(1).to_inet(40000));
}

TEST_F(Iface, PortUnreachableIsRateLimited) {
  learn_kernel();
  interface_config c;
  std::size_t sent = 0;
  for (int i = 0; i < 100; ++i) sent += in(udp4_frame, 2000).size();
  EXPECT_EQ(sent, 20u);  // the burst
  EXPECT_EQ(ifc.counters().icmp_rate_limited, 80u);
  // One second later, 100 more tokens (capped at the burst).
  sent = 0;
  for (int i = 0; i < 100; ++i) sent += in(udp4_frame, 3000).size();
  EXPECT_EQ(sent, 20u);
  // The error quotes the datagram and says port unreachable.
  auto out = in(udp6_frame, 10000);
  ASSERT_EQ(out.size(), 1u);
  auto ip = ipv6_packet::new_checked(ethernet_frame::new_checked(out[0])->payload());
  auto e = icmpv6_repr::parse(*icmpv6_packet::new_checked(ip->payload()), ip->src(), ip->dst());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, icmpv6_repr::dst_unreachable);
  EXPECT_EQ(e->code, icmpv6_repr::code_port_unreachable);
  EXPECT_EQ(e->data.size(), udp6_frame.size() - 14);
}

TEST(UdpSockets, BindRules) {
  udp_socket_set set(4);
  auto a = set.open(), b = set.open(), c = set.open(), d = set.open();
  ASSERT_TRUE(a && b && c && d);
  EXPECT_FALSE(set.open());  // the set is full
  EXPECT_EQ(set.bind(*a, ip_us.to_inet(53)), udp_error::ok);
  EXPECT_EQ(set.bind(*b, ip_us.to_inet(53)), udp_error::address_in_use);
  inet_address any4 = ipv4_address{}.to_inet(53);
  EXPECT_EQ(set.bind(*b, any4), udp_error::address_in_use);
  EXPECT_EQ(set.bind(*b, v6(2).to_inet(53)), udp_error::ok);  // other family: fine
  EXPECT_EQ(set.bind(*c, inet_address{}), udp_error::ok);
  EXPECT_GE(set.get(*c).local().port, 49152);
  EXPECT_EQ(set.bind(*d, inet_address{}), udp_error::ok);
  EXPECT_NE(set.get(*c).local().port, set.get(*d).local().port);
  // The most specific socket wins.
  EXPECT_EQ(set.find(ip_us.to_inet(53)), &set.get(*a));
  EXPECT_EQ(set.find(v6(2).to_inet(53)), &set.get(*b));
  EXPECT_EQ(set.find(ip_us.to_inet(54)), nullptr);
  set.close(*a);
  EXPECT_EQ(set.find(ip_us.to_inet(53)), nullptr);
}

TEST(UdpSockets, ReceiveQueueBoundedInBytesWithDropCounter) {
  udp_socket_set set;
  auto h = set.open({1000, 100, 1000, 10});
  ASSERT_EQ(set.bind(*h, ip_us.to_inet(1)), udp_error::ok);
  auto& s = set.get(*h);
  bytes d(300, 0xab);
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += s.deliver(ip_k.to_inet(2), ip_us.to_inet(1), d);
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(s.counters().rx_dropped_full, 7u);
  std::uint8_t small[10];
  auto m = s.recv_from(small);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->truncated);
  EXPECT_EQ(m->len, 300u);
  // Room again; the ring wraps and keeps order.
  for (int i = 0; i < 50; ++i) {
    d[0] = static_cast<std::uint8_t>(i);
    // Datagrams are stored contiguously, so a full ring may need two pops to fit one.
    int pops = 0;
    while (!s.deliver(ip_k.to_inet(2), ip_us.to_inet(1), d)) {
      std::uint8_t big[300];
      ASSERT_TRUE(s.recv_from(big));
      ASSERT_LE(++pops, 2);
    }
  }
  EXPECT_EQ(s.send_to(bytes(1001), ip_k.to_inet(2)), udp_error::too_large);
  EXPECT_EQ(s.send_to(bytes(10), inet_address{}), udp_error::invalid);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.send_to(bytes(10), ip_k.to_inet(2)), udp_error::ok);
  EXPECT_EQ(s.send_to(bytes(10), ip_k.to_inet(2)), udp_error::would_block);
  EXPECT_EQ(s.counters().tx_dropped, 1u);
}

TEST(PacketRing, WrapsAndKeepsOrder) {
  packet_ring<int> r(8, 100);
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    std::size_t n = static_cast<std::size_t>((round * 37) % 60);
    if (auto* p = r.push(n, next_in)) {
      std::memset(p, next_in & 0xff, n);
      ++next_in;
    } else {
      int m;
      auto d = r.front(&m);
      ASSERT_EQ(m, next_out);
      for (auto x : d) ASSERT_EQ(x, next_out & 0xff);
      r.pop();
      ++next_out;
    }
  }
  EXPECT_GT(next_out, 100);
}

// ---- NDP and ICMPv6 ----

TEST_F(Iface, AnswersNeighborSolicitation) {
  auto out = in(ns_frame);
  ASSERT_EQ(out.size(), 1u);
  auto eth = ethernet_frame::new_checked(out[0]);
  EXPECT_EQ(eth->dst(), mac_k);
  auto ip = ipv6_packet::new_checked(eth->payload());
  EXPECT_EQ(ip->hop_limit(), 255);
  EXPECT_EQ(ip->src(), v6(2));
  EXPECT_EQ(ip->dst(), v6(1));
  auto na = icmpv6_repr::parse(*icmpv6_packet::new_checked(ip->payload()), ip->src(), ip->dst());
  ASSERT_TRUE(na);
  EXPECT_EQ(na->type, icmpv6_repr::neighbor_advert);
  EXPECT_EQ(na->target, v6(2));
  EXPECT_TRUE(na->solicited && na->override_);
  EXPECT_EQ(na->options.target_ll, mac_us);
}

TEST_F(Iface, NeighborSolicitationFloodIsBounded) {
  // 5,000 solicitations for our address from different sources: each is answered, the table
  // stays within its size and every buffer comes back.
  for (int i = 0; i < 5000; ++i) {
    ipv6_address src = v6(1);
    src.b[13] = static_cast<std::uint8_t>(i >> 8);
    src.b[14] = static_cast<std::uint8_t>(i);
    icmpv6_repr ns;
    ns.type = icmpv6_repr::neighbor_solicit;
    ns.target = v6(2);
    ns.options.source_ll = mac_address{{0x02, 0, 0, 0, static_cast<std::uint8_t>(i >> 8),
                                        static_cast<std::uint8_t>(i)}};
    bytes f(14 + 40 + ns.buffer_len());
    ethernet_repr{ns.options.source_ll.value(), v6(2).solicited_node().multicast_mac(),
                  ethertype::ipv6}.emit(f);
    ipv6_repr{src, v6(2).solicited_node(), ip_protocol::icmpv6,
              static_cast<std::uint16_t>(ns.buffer_len()), 255}.emit(std::span(f).subspan(14));
    ns.emit(std::span(f).subspan(54), src, v6(2).solicited_node());
    ASSERT_EQ(in(f).size(), 1u) << i;
  }
  EXPECT_EQ(ifc.counters().ndp_replied, 5000u);
  EXPECT_LE(ifc.neighbors().size(), neighbor_cache::config{}.entries);
  EXPECT_EQ(pool.available(), pool.capacity());
}

TEST_F(Iface, NdpFromOffLinkIsIgnored) {
  bytes f = ns_frame;
  f[21] = 64;  // hop limit (not covered by the checksum)
  EXPECT_TRUE(in(f).empty());
  EXPECT_EQ(ifc.counters().rx_bad_source, 1u);
}

TEST_F(Iface, Echo6Answered) {
  learn_kernel();
  auto out = in(echo6_frame);
  ASSERT_EQ(out.size(), 1u);
  auto ip = ipv6_packet::new_checked(ethernet_frame::new_checked(out[0])->payload());
  auto r = icmpv6_repr::parse(*icmpv6_packet::new_checked(ip->payload()), ip->src(), ip->dst());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, icmpv6_repr::echo_reply);
  EXPECT_EQ(r->seq, 1);
  EXPECT_EQ(r->data.size(), 32u);
}

// ---- resolution queue ----

TEST_F(Iface, PendingQueueIsBoundedAndTimesOut) {
  auto h = ifc.udp().open();
  ASSERT_EQ(ifc.udp().bind(*h, inet_address{}), udp_error::ok);
  auto dst = ipv4_address{{10, 99, 0, 50}}.to_inet(9);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(ifc.udp().get(*h).send_to(bytes(10), dst), udp_error::ok);
  auto out = take(ifc.poll(0));
  ASSERT_EQ(out.size(), 1u);  // one ARP request
  EXPECT_EQ(ifc.neighbors().pending(), 64u);
  EXPECT_EQ(ifc.neighbors().counters().pending_full, 36u);
  EXPECT_EQ(take(ifc.poll(500)).size(), 0u);
  EXPECT_EQ(take(ifc.poll(1000)).size(), 1u);  // retry
  EXPECT_EQ(take(ifc.poll(2000)).size(), 1u);  // retry
  take(ifc.poll(3000));
  EXPECT_EQ(ifc.neighbors().pending(), 0u);
  EXPECT_EQ(ifc.neighbors().counters().pending_expired, 64u);
}

TEST_F(Iface, OffLinkGoesToTheGateway) {
  route r;
  r.target = *inet_address::from_string("0.0.0.0/0");
  r.via = ip_k.to_inet();
  std::vector<route> routes{r};
  ifc.set_routes(routes);
  auto h = ifc.udp().open();
  ASSERT_EQ(ifc.udp().bind(*h, inet_address{}), udp_error::ok);
  ASSERT_EQ(ifc.udp().get(*h).send_to(bytes(4), ipv4_address{{8, 8, 8, 8}}.to_inet(53)),
            udp_error::ok);
  auto out = take(ifc.poll(0));
  ASSERT_EQ(out.size(), 1u);
  auto arp = arp_repr::parse(*arp_packet::new_checked(ethernet_frame::new_checked(out[0])->payload()));
  EXPECT_EQ(arp->target_ip, ip_k);
  // No route for IPv6 off-link: counted.
  ASSERT_EQ(ifc.udp().get(*h).send_to(bytes(4), v6(1, 0x55).to_inet(53)), udp_error::ok);
  take(ifc.poll(0));
  EXPECT_EQ(ifc.counters().tx_no_route, 1u);
}

TEST_F(Iface, BroadcastSendNeedsTheSocketFlag) {
  auto h = ifc.udp().open();
  ASSERT_EQ(ifc.udp().bind(*h, inet_address{}), udp_error::ok);
  auto& s = ifc.udp().get(*h);
  ASSERT_EQ(s.send_to(bytes(4), ipv4_address::broadcast().to_inet(67)), udp_error::ok);
  EXPECT_TRUE(take(ifc.poll(0)).empty());
  EXPECT_EQ(ifc.counters().tx_no_route, 1u);
  s.set_broadcast(true);
  ASSERT_EQ(s.send_to(bytes(4), ipv4_address{{10, 99, 0, 255}}.to_inet(67)), udp_error::ok);
  auto out = take(ifc.poll(0));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(ethernet_frame::new_checked(out[0])->dst().is_broadcast());
}

TEST_F(Iface, AnnouncesAddressesOnChange) {
  std::vector<ipv4_cidr> a4{{ipv4_address{{10, 99, 0, 3}}, 24}};
  std::vector<ipv6_cidr> a6{{v6(3), 64}};
  auto out = take(ifc.set_addresses(0, a4, a6));
  ASSERT_EQ(out.size(), 2u);
  auto arp = arp_repr::parse(*arp_packet::new_checked(ethernet_frame::new_checked(out[0])->payload()));
  EXPECT_EQ(arp->sender_ip, a4[0].addr);
  EXPECT_EQ(arp->target_ip, a4[0].addr);
  auto eth = ethernet_frame::new_checked(out[1]);
  EXPECT_EQ(eth->dst(), ipv6_address::all_nodes().multicast_mac());
  auto ip = ipv6_packet::new_checked(eth->payload());
  auto na = icmpv6_repr::parse(*icmpv6_packet::new_checked(ip->payload()), ip->src(), ip->dst());
  ASSERT_TRUE(na);
  EXPECT_EQ(na->target, v6(3));
  EXPECT_FALSE(na->solicited);
  EXPECT_TRUE(ifc.is_our_ipv4(a4[0].addr));
  EXPECT_FALSE(ifc.is_our_ipv4(ip_us));
}

// ---- two interfaces back to back: fragmentation and reassembly ----

class Pair : public ::testing::Test {
 protected:
  static interface_config cfg(std::uint8_t n) {
    interface_config c;
    c.mac = mac_address{{0x02, 0, 0, 0, 0, n}};
    c.mtu = 1500;
    c.ipv4.push_back({ipv4_address{{10, 0, 0, n}}, 24});
    c.ipv6.push_back({v6(n, 0), 64});
    return c;
  }
  buf::buffer_pool pool{{2048, 1024, 128}};
  interface a{cfg(1), pool}, b{cfg(2), pool};
  std::uint64_t now = 0;

  // Moves frames both ways until nothing is left; `filter` may drop or reorder A->B frames.
  void run(std::function<void(std::vector<bytes>&)> filter = {}) {
    std::vector<bytes> ab = take(a.poll(now)), ba = take(b.poll(now));
    for (int round = 0; round < 20 && (!ab.empty() || !ba.empty()); ++round) {
      if (filter) filter(ab);
      std::vector<bytes> nab, nba;
      for (auto& f : ab) for (auto& g : take(b.process(now, f))) nba.push_back(g);
      for (auto& f : ba) for (auto& g : take(a.process(now, f))) nab.push_back(g);
      for (auto& g : take(a.poll(now))) nab.push_back(g);
      for (auto& g : take(b.poll(now))) nba.push_back(g);
      ab = std::move(nab);
      ba = std::move(nba);
    }
  }
  static bytes pattern(std::size_t n) {
    bytes v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + (i >> 8));
    return v;
  }
  // A sends `size` bytes to B's port 9; returns what B received (empty optional if nothing).
  std::optional<bytes> transfer(bool six, std::size_t size,
                                std::function<void(std::vector<bytes>&)> filter = {}) {
    auto hb = b.udp().open();
    inet_address any;
    any.port = 9;
    EXPECT_EQ(b.udp().bind(*hb, any), udp_error::ok);
    auto ha = a.udp().open();
    EXPECT_EQ(a.udp().bind(*ha, inet_address{}), udp_error::ok);
    auto d = six ? v6(2, 0).to_inet(9) : ipv4_address{{10, 0, 0, 2}}.to_inet(9);
    EXPECT_EQ(a.udp().get(*ha).send_to(pattern(size), d), udp_error::ok);
    run(filter);
    bytes got(70000);
    auto m = b.udp().get(*hb).recv_from(got);
    b.udp().close(*hb);
    a.udp().close(*ha);
    if (!m) return std::nullopt;
    got.resize(m->len);
    return got;
  }
};

TEST_F(Pair, UdpAllSizesBothFamilies) {
  for (bool six : {false, true}) {
    for (std::size_t size : {0ul, 1ul, 1471ul, 1472ul, 1473ul, 3000ul, 20000ul, 65000ul}) {
      auto got = transfer(six, size);
      ASSERT_TRUE(got) << six << " " << size;
      EXPECT_EQ(*got, pattern(size)) << six << " " << size;
    }
  }
}

TEST_F(Pair, FragmentsOutOfOrderAndDuplicated) {
  for (bool six : {false, true}) {
    auto got = transfer(six, 10000, [](std::vector<bytes>& f) {
      if (f.size() < 3) return;
      std::reverse(f.begin(), f.end());
      f.push_back(f[1]);  // a duplicate
    });
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, pattern(10000));
  }
}

TEST_F(Pair, MissingFragmentTimesOut) {
  for (bool six : {false, true}) {
    bool dropped = false;
    auto got = transfer(six, 5000, [&](std::vector<bytes>& f) {
      if (f.size() >= 3 && !dropped) {
        f.erase(f.begin() + 1);
        dropped = true;
      }
    });
    EXPECT_FALSE(got);
    EXPECT_EQ(b.reassembly().in_progress(), 1u);
    now += 31'000;
    take(b.poll(now));
    EXPECT_EQ(b.reassembly().in_progress(), 0u);
  }
  EXPECT_EQ(b.reassembly().counters().timed_out, 2u);
}

TEST(Reassembler, OverlapsAndEndlessFragmentsAreBounded) {
  reassembler r({2, 4000, 4, 1000});
  reassembler::key k;
  k.ident = 1;
  bytes d(64, 1);
  EXPECT_FALSE(r.add(0, k, 0, true, d, 17));
  EXPECT_FALSE(r.add(0, k, 32, true, d, 17));  // overlaps [0, 64)
  EXPECT_EQ(r.counters().overlaps, 1u);
  EXPECT_EQ(r.in_progress(), 0u);
  // Too many holes.
  for (std::uint32_t i = 0; i < 5; ++i) r.add(0, k, i * 128, true, d, 17);
  EXPECT_EQ(r.counters().too_many_ranges, 1u);
  // Past the size bound.
  EXPECT_FALSE(r.add(0, k, 3968, true, d, 17));
  EXPECT_EQ(r.counters().too_big, 1u);
  // Many datagrams: slots are reused, oldest evicted.
  for (std::uint32_t i = 0; i < 10; ++i) {
    k.ident = 100 + i;
    r.add(i, k, 0, true, d, 17);
  }
  EXPECT_EQ(r.in_progress(), 2u);
  EXPECT_EQ(r.counters().evicted, 8u);
  // A non-final fragment that is not a multiple of 8, and a last fragment that moves the end.
  k.ident = 500;
  EXPECT_FALSE(r.add(100, k, 0, true, bytes(13), 17));
  EXPECT_FALSE(r.add(100, k, 0, false, bytes(16), 17) && false);
  EXPECT_FALSE(r.add(100, k, 64, false, bytes(8), 17));
  EXPECT_GE(r.counters().malformed, 1u);
  // A complete datagram in two pieces.
  k.ident = 600;
  EXPECT_FALSE(r.add(200, k, 8, false, bytes(8, 2), 0));
  auto done = r.add(200, k, 0, true, bytes(8, 1), 6);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->payload.size(), 16u);
  EXPECT_EQ(done->protocol, 6);
}

}  // namespace
}  // namespace ztkit::netstack
