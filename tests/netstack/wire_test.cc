// Wire-layer tests, smoltcp style: plain bytes in, reprs out, and reprs emitted back to the same
// bytes. Frames are in packets.h.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "netstack/wire/arp.h"
#include "netstack/wire/checksum.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/icmpv4.h"
#include "netstack/wire/icmpv6.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"
#include "netstack/wire/udp.h"
#include "tests/netstack/packets.h"

namespace ztkit::netstack::wire {
namespace {

using namespace test_packets;
using bytes = std::vector<std::uint8_t>;

const mac_address mac_us{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}};
const mac_address mac_k{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}};
const ipv4_address ip_us{{10, 99, 0, 2}};
const ipv4_address ip_k{{10, 99, 0, 1}};
ipv6_address v6(std::uint8_t last) {
  ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = 0x99;
  a.b[15] = last;
  return a;
}

std::span<const std::uint8_t> after(const bytes& b, std::size_t off) {
  return std::span<const std::uint8_t>(b).subspan(off);
}

// ---- checksum ----

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  const std::uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum::fold(checksum::accumulate(d)), 0xddf2);
  EXPECT_EQ(checksum::compute(d), 0x220d);
}

TEST(Checksum, WellKnownIpv4Header) {
  // The textbook header 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
  std::uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(checksum::compute(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_EQ(checksum::compute(h), 0);
}

TEST(Checksum, OddLengthsAndSplitsMatchABytewiseSum) {
  std::vector<std::uint8_t> d(1001);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7 + 3);
  for (std::size_t len : {0u, 1u, 2u, 3u, 5u, 15u, 16u, 17u, 63u, 1000u, 1001u}) {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < len; i += 2)
      s += (std::uint32_t{d[i]} << 8) | (i + 1 < len ? d[i + 1] : 0);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    std::span<const std::uint8_t> all(d.data(), len);
    EXPECT_EQ(checksum::fold(checksum::accumulate(all)), s) << len;
    // Any even split gives the same sum.
    std::size_t cut = (len / 3) & ~std::size_t{1};
    EXPECT_EQ(checksum::fold(checksum::accumulate(all.subspan(cut),
                                                  checksum::accumulate(all.first(cut)))),
              s)
        << len;
  }
}

// ---- Ethernet ----

TEST(Ethernet, ParseAndEmit) {
  auto f = ethernet_frame::new_checked(udp4_frame);
  ASSERT_TRUE(f);
  auto r = ethernet_repr::parse(*f);
  EXPECT_EQ(r.dst, mac_us);
  EXPECT_EQ(r.src, mac_k);
  EXPECT_EQ(r.ethertype, ethertype::ipv4);
  EXPECT_EQ(f->payload().size(), udp4_frame.size() - 14);
  std::uint8_t out[14];
  r.emit(out);
  EXPECT_EQ(0, std::memcmp(out, udp4_frame.data(), 14));
}

TEST(Ethernet, ShortFrameRejected) {
  EXPECT_FALSE(ethernet_frame::new_checked(std::span(udp4_frame).first(13)));
  EXPECT_TRUE(ethernet_frame::new_checked(std::span(udp4_frame).first(14)));
}

TEST(Ethernet, VlanTagIsAnEthertypeNotParsed) {
  bytes f = udp4_frame;
  f[12] = 0x81;
  f[13] = 0x00;
  EXPECT_EQ(ethernet_frame::new_checked(f)->ethertype(), ethertype::vlan);
}

// ---- ARP ----

TEST(Arp, ParseRequest) {
  auto p = arp_packet::new_checked(after(arp_request_frame, 14));
  ASSERT_TRUE(p);
  auto r = arp_repr::parse(*p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->operation, arp_repr::request);
  EXPECT_EQ(r->sender_hw, mac_k);
  EXPECT_EQ(r->sender_ip, ip_k);
  EXPECT_EQ(r->target_hw, mac_address{});
  EXPECT_EQ(r->target_ip, ip_us);
  std::uint8_t out[28];
  r->emit(out);
  EXPECT_EQ(0, std::memcmp(out, arp_request_frame.data() + 14, 28));
}

TEST(Arp, RejectsOtherTypesAndShort) {
  bytes a(arp_request_frame.begin() + 14, arp_request_frame.end());
  EXPECT_FALSE(arp_packet::new_checked(std::span(a).first(27)));
  bytes b = a;
  b[3] = 0xdd;  // ptype 0x86dd
  EXPECT_FALSE(arp_packet::new_checked(b));
  b = a;
  b[4] = 8;  // hlen
  EXPECT_FALSE(arp_packet::new_checked(b));
  b = a;
  b[7] = 3;  // RARP op
  EXPECT_FALSE(arp_repr::parse(*arp_packet::new_checked(b)));
}

// ---- IPv4 ----

TEST(Ipv4, ParseAndEmit) {
  auto p = ipv4_packet::new_checked(after(icmp_echo_frame, 14));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->checksum(), 0x13c5);
  auto r = ipv4_repr::parse(*p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src, ip_k);
  EXPECT_EQ(r->dst, ip_us);
  EXPECT_EQ(r->protocol, ip_protocol::icmp);
  EXPECT_EQ(r->payload_len, 40);
  EXPECT_EQ(r->ident, 0x1234);
  EXPECT_TRUE(r->dont_fragment);
  EXPECT_FALSE(p->is_fragment());
  std::uint8_t out[20];
  r->emit(out);
  EXPECT_EQ(0, std::memcmp(out, icmp_echo_frame.data() + 14, 20));
}

TEST(Ipv4, BadChecksumRejectedByRepr) {
  bytes b(icmp_echo_frame.begin() + 14, icmp_echo_frame.end());
  b[8] = 63;  // TTL changed, checksum not
  auto p = ipv4_packet::new_checked(b);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->verify_checksum());
  EXPECT_FALSE(ipv4_repr::parse(*p));
}

TEST(Ipv4, LyingLengthsRejected) {
  bytes b(icmp_echo_frame.begin() + 14, icmp_echo_frame.end());
  bytes t = b;
  t[3] = 0x3d;  // total length one past the bytes
  EXPECT_FALSE(ipv4_packet::new_checked(t));
  t = b;
  t[2] = 0;
  t[3] = 19;  // total < header
  EXPECT_FALSE(ipv4_packet::new_checked(t));
  t = b;
  t[0] = 0x44;  // IHL 4
  EXPECT_FALSE(ipv4_packet::new_checked(t));
  t = b;
  t[0] = 0x4f;  // IHL 15 = 60 bytes > total 60? equal: allowed, payload empty
  EXPECT_TRUE(ipv4_packet::new_checked(t));
  EXPECT_EQ(ipv4_packet::new_checked(t)->payload().size(), 0u);
  t = b;
  t[0] = 0x65;  // version 6
  EXPECT_FALSE(ipv4_packet::new_checked(t));
  EXPECT_FALSE(ipv4_packet::new_checked(std::span(b).first(19)));
}

TEST(Ipv4, OptionsAreSkipped) {
  // 24-byte header with one NOP + EOL option word; payload follows the options.
  bytes h = {0x46, 0, 0, 28, 0, 1, 0x20, 0x01, 64, 17, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2,
             0x01, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee /* link padding */};
  auto c = checksum::compute(std::span(h).first(24));
  h[10] = static_cast<std::uint8_t>(c >> 8);
  h[11] = static_cast<std::uint8_t>(c);
  auto p = ipv4_packet::new_checked(h);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->verify_checksum());
  EXPECT_EQ(p->options().size(), 4u);
  EXPECT_EQ(p->payload().size(), 4u);
  EXPECT_EQ(p->payload()[0], 0xaa);
  EXPECT_TRUE(p->more_fragments());
  EXPECT_EQ(p->frag_offset(), 8u);
  EXPECT_TRUE(p->is_fragment());
}

// ---- IPv6 ----

TEST(Ipv6, ParseAndEmit) {
  auto p = ipv6_packet::new_checked(after(udp6_frame, 14));
  ASSERT_TRUE(p);
  auto r = ipv6_repr::parse(*p);
  EXPECT_EQ(r.src, v6(1));
  EXPECT_EQ(r.dst, v6(2));
  EXPECT_EQ(r.next_header, ip_protocol::udp);
  EXPECT_EQ(r.payload_len, 20);
  EXPECT_EQ(r.hop_limit, 64);
  std::uint8_t out[40];
  r.emit(out);
  EXPECT_EQ(0, std::memcmp(out, udp6_frame.data() + 14, 40));
  auto c = walk_extension_headers(*p);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->upper_protocol, ip_protocol::udp);
  EXPECT_EQ(c->upper_offset, 0u);
  EXPECT_FALSE(c->fragment);
}

TEST(Ipv6, LyingPayloadLengthRejected) {
  bytes b(udp6_frame.begin() + 14, udp6_frame.end());
  b[5] = 21;
  EXPECT_FALSE(ipv6_packet::new_checked(b));
  b[5] = 20;
  b[0] = 0x40;
  EXPECT_FALSE(ipv6_packet::new_checked(b));
}

bytes ipv6_with_chain(std::uint8_t first, const bytes& chain) {
  ipv6_repr r{v6(1), v6(2), first, static_cast<std::uint16_t>(chain.size()), 64};
  bytes b(40);
  r.emit(b);
  b.insert(b.end(), chain.begin(), chain.end());
  return b;
}

TEST(Ipv6, ExtensionHeadersWalked) {
  // hop-by-hop (8) -> destination options (16) -> fragment (8) -> UDP.
  bytes chain = {ip_protocol::ipv6_opts, 0, 1, 4, 0, 0, 0, 0,              // HBH, PadN
                 ip_protocol::ipv6_frag, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // DO
                 ip_protocol::udp, 0, 0x00, 0x11, 0xde, 0xad, 0xbe, 0xef,  // frag off 16, M
                 1, 2, 3, 4, 5, 6, 7, 8};
  auto b = ipv6_with_chain(ip_protocol::hop_by_hop, chain);
  auto c = walk_extension_headers(*ipv6_packet::new_checked(b));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->upper_protocol, ip_protocol::udp);
  EXPECT_EQ(c->upper_offset, 32u);
  ASSERT_TRUE(c->fragment);
  EXPECT_EQ(c->fragment_offset, 24u);
  EXPECT_EQ(c->fragment->frag_offset, 16u);
  EXPECT_TRUE(c->fragment->more_fragments);
  EXPECT_EQ(c->fragment->ident, 0xdeadbeefu);
}

TEST(Ipv6, HostileChainsRejected) {
  // Hop-by-hop not first.
  bytes chain = {ip_protocol::hop_by_hop, 0, 0, 0, 0, 0, 0, 0, ip_protocol::udp, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_opts, chain))));
  // A header whose length runs past the payload.
  bytes lying = {ip_protocol::udp, 5, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_opts, lying))));
  // Truncated header.
  bytes trunc = {ip_protocol::udp, 0, 0};
  EXPECT_FALSE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_opts, trunc))));
  // An endless chain of destination options: stops at the bound.
  bytes endless;
  for (int i = 0; i < 20; ++i) {
    bytes h = {ip_protocol::ipv6_opts, 0, 1, 4, 0, 0, 0, 0};
    endless.insert(endless.end(), h.begin(), h.end());
  }
  EXPECT_FALSE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_opts, endless))));
  // Routing header with segments left.
  bytes rh = {ip_protocol::udp, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_FALSE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_route, rh))));
  rh[3] = 0;
  EXPECT_TRUE(walk_extension_headers(*ipv6_packet::new_checked(
      ipv6_with_chain(ip_protocol::ipv6_route, rh))));
}

TEST(Ipv6, FragmentHeaderRoundTrip) {
  ipv6_fragment_repr f{ip_protocol::udp, 1448, true, 0x01020304};
  std::uint8_t out[8];
  f.emit(out);
  const std::uint8_t want[] = {17, 0, 0x05, 0xa9, 1, 2, 3, 4};
  EXPECT_EQ(0, std::memcmp(out, want, 8));
  EXPECT_EQ(ipv6_fragment_repr::parse(out), f);
}

// ---- ICMPv4 ----

TEST(Icmpv4, EchoParseAndEmit) {
  auto ip = ipv4_packet::new_checked(after(icmp_echo_frame, 14));
  auto p = icmpv4_packet::new_checked(ip->payload());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->checksum(), 0x0226);
  auto r = icmpv4_repr::parse(*p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, icmpv4_repr::echo_request);
  EXPECT_EQ(r->ident, 0x4d2);
  EXPECT_EQ(r->seq, 7);
  EXPECT_EQ(r->data.size(), 32u);
  bytes out(r->buffer_len());
  r->emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), ip->payload().begin()));
}

TEST(Icmpv4, DestinationUnreachableQuotesTheDatagram) {
  const std::uint8_t quoted[] = {0x45, 0, 0, 28, 1, 2, 3, 4, 5, 6, 7, 8};
  icmpv4_repr r{icmpv4_repr::dst_unreachable, icmpv4_repr::code_port, 0, 0, quoted};
  bytes out(r.buffer_len());
  r.emit(out);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 3);
  EXPECT_EQ(checksum::compute(out), 0);
  auto back = icmpv4_repr::parse(*icmpv4_packet::new_checked(out));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data.size(), sizeof quoted);
}

TEST(Icmpv4, BadChecksumAndShortRejected) {
  auto ip = ipv4_packet::new_checked(after(icmp_echo_frame, 14));
  bytes b(ip->payload().begin(), ip->payload().end());
  b[10] ^= 1;
  EXPECT_FALSE(icmpv4_repr::parse(*icmpv4_packet::new_checked(b)));
  EXPECT_FALSE(icmpv4_packet::new_checked(std::span(b).first(7)));
}

// ---- UDP ----

TEST(Udp, Ipv4ParseChecksumAndEmit) {
  auto ip = ipv4_packet::new_checked(after(udp4_frame, 14));
  auto p = udp_packet::new_checked(ip->payload());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->checksum(), 0xf77b);
  EXPECT_TRUE(p->verify_checksum(ip_k, ip_us));
  EXPECT_FALSE(p->verify_checksum(ip_us, ip_us));
  auto r = udp_repr::parse(*p, ip_k, ip_us);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src_port, 40000);
  EXPECT_EQ(r->dst_port, 5353);
  EXPECT_EQ(std::string(p->payload().begin(), p->payload().end()), "hello, ztkit");
  std::uint8_t hdr[8];
  r->emit_header(hdr, p->payload(), ip_k, ip_us);
  EXPECT_EQ(0, std::memcmp(hdr, ip->payload().data(), 8));
}

TEST(Udp, ZeroChecksumMeansNoneOnIpv4AndInvalidOnIpv6) {
  auto ip = ipv4_packet::new_checked(after(udp4_frame, 14));
  bytes b(ip->payload().begin(), ip->payload().end());
  b[6] = b[7] = 0;
  EXPECT_TRUE(udp_packet::new_checked(b)->verify_checksum(ip_k, ip_us));
  EXPECT_FALSE(udp_packet::new_checked(b)->verify_checksum(v6(1), v6(2)));
}

TEST(Udp, Ipv6ChecksumAndEmit) {
  auto ip = ipv6_packet::new_checked(after(udp6_frame, 14));
  auto p = udp_packet::new_checked(ip->payload());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->checksum(), 0x110e);
  EXPECT_TRUE(p->verify_checksum(v6(1), v6(2)));
  std::uint8_t hdr[8];
  udp_repr{40000, 5353}.emit_header(hdr, p->payload(), v6(1), v6(2));
  EXPECT_EQ(0, std::memcmp(hdr, ip->payload().data(), 8));
}

TEST(Udp, ComputedZeroIsSentAsFfff) {
  // Find a payload word that makes the sum come out as 0 and check the emitted field.
  std::uint8_t pl[2] = {0, 0};
  std::uint8_t hdr[8];
  udp_repr u{1, 2};
  u.emit_header(hdr, pl, ip_k, ip_us);
  std::uint16_t c = ztkit::wire::load_be16(hdr + 6);
  // Adding c to the data makes the complement sum 0xffff... i.e. checksum 0.
  pl[0] = static_cast<std::uint8_t>(c >> 8);
  pl[1] = static_cast<std::uint8_t>(c);
  u.emit_header(hdr, pl, ip_k, ip_us);
  EXPECT_EQ(ztkit::wire::load_be16(hdr + 6), 0xffff);
  bytes d(hdr, hdr + 8);
  d.insert(d.end(), pl, pl + 2);
  EXPECT_TRUE(udp_packet::new_checked(d)->verify_checksum(ip_k, ip_us));
}

TEST(Udp, LyingLengthRejected) {
  auto ip = ipv4_packet::new_checked(after(udp4_frame, 14));
  bytes b(ip->payload().begin(), ip->payload().end());
  b[5] = 21;
  EXPECT_FALSE(udp_packet::new_checked(b));
  b[5] = 7;
  EXPECT_FALSE(udp_packet::new_checked(b));
  b[5] = 8;  // shorter length: payload empty, trailing bytes ignored
  ASSERT_TRUE(udp_packet::new_checked(b));
  EXPECT_EQ(udp_packet::new_checked(b)->payload().size(), 0u);
}

// ---- ICMPv6 / NDP ----

TEST(Icmpv6, NeighborSolicitation) {
  auto ip = ipv6_packet::new_checked(after(ns_frame, 14));
  ASSERT_TRUE(ip);
  auto p = icmpv6_packet::new_checked(ip->payload());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->checksum(), 0xe2ec);
  auto r = icmpv6_repr::parse(*p, ip->src(), ip->dst());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, icmpv6_repr::neighbor_solicit);
  EXPECT_EQ(r->target, v6(2));
  ASSERT_TRUE(r->options.source_ll);
  EXPECT_EQ(*r->options.source_ll, mac_k);
  EXPECT_EQ(ip->dst(), v6(2).solicited_node());
  bytes out(r->buffer_len());
  r->emit(out, ip->src(), ip->dst());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), ip->payload().begin()));
  // Wrong pseudo-header address: checksum fails.
  EXPECT_FALSE(icmpv6_repr::parse(*p, ip->src(), v6(2)));
}

TEST(Icmpv6, EchoRequest) {
  auto ip = ipv6_packet::new_checked(after(echo6_frame, 14));
  auto p = icmpv6_packet::new_checked(ip->payload());
  EXPECT_EQ(p->checksum(), 0x8e92);
  auto r = icmpv6_repr::parse(*p, ip->src(), ip->dst());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, icmpv6_repr::echo_request);
  EXPECT_EQ(r->ident, 0x4d2);
  EXPECT_EQ(r->seq, 1);
  EXPECT_EQ(r->data.size(), 32u);
}

TEST(Icmpv6, AdvertisementsAndRouterMessagesRoundTrip) {
  icmpv6_repr na;
  na.type = icmpv6_repr::neighbor_advert;
  na.target = v6(2);
  na.solicited = true;
  na.override_ = true;
  na.options.target_ll = mac_us;
  bytes out(na.buffer_len());
  ASSERT_EQ(out.size(), 32u);
  na.emit(out, v6(2), v6(1));
  EXPECT_EQ(out[4], 0x60);
  auto back = icmpv6_repr::parse(*icmpv6_packet::new_checked(out), v6(2), v6(1));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->solicited && back->override_ && !back->router);
  EXPECT_EQ(back->options, na.options);

  icmpv6_repr ra;
  ra.type = icmpv6_repr::router_advert;
  ra.cur_hop_limit = 64;
  ra.router_lifetime = 1800;
  ra.reachable_time = 30000;
  ra.options.source_ll = mac_k;
  ra.options.mtu = 2800;
  ra.options.prefix = ndp_prefix_info{64, true, true, 86400, 14400, v6(0)};
  out.assign(ra.buffer_len(), 0);
  ASSERT_EQ(out.size(), 16u + 8 + 8 + 32);
  ra.emit(out, v6(1), ipv6_address::all_nodes());
  back = icmpv6_repr::parse(*icmpv6_packet::new_checked(out), v6(1), ipv6_address::all_nodes());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->router_lifetime, 1800);
  EXPECT_EQ(back->reachable_time, 30000u);
  EXPECT_EQ(back->options, ra.options);

  icmpv6_repr rs;
  rs.type = icmpv6_repr::router_solicit;
  out.assign(rs.buffer_len(), 0);
  rs.emit(out, v6(2), ipv6_address::all_routers());
  EXPECT_TRUE(icmpv6_repr::parse(*icmpv6_packet::new_checked(out), v6(2),
                                 ipv6_address::all_routers()));

  icmpv6_repr ptb;
  ptb.type = icmpv6_repr::packet_too_big;
  ptb.mtu = 1280;
  const std::uint8_t q[] = {0x60, 0, 0, 0};
  ptb.data = q;
  out.assign(ptb.buffer_len(), 0);
  ptb.emit(out, v6(1), v6(2));
  back = icmpv6_repr::parse(*icmpv6_packet::new_checked(out), v6(1), v6(2));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->mtu, 1280u);
  EXPECT_EQ(back->data.size(), 4u);
}

TEST(Icmpv6, MalformedNdpOptionsRejected) {
  auto ip = ipv6_packet::new_checked(after(ns_frame, 14));
  bytes b(ip->payload().begin(), ip->payload().end());
  auto fix = [&](bytes& m) {
    m[2] = m[3] = 0;
    auto acc = checksum::pseudo_v6(ip->src(), ip->dst(), ip_protocol::icmpv6,
                                   static_cast<std::uint32_t>(m.size()));
    auto c = static_cast<std::uint16_t>(~checksum::fold(checksum::accumulate(m, acc)));
    m[2] = static_cast<std::uint8_t>(c >> 8);
    m[3] = static_cast<std::uint8_t>(c);
  };
  bytes z = b;
  z[25] = 0;  // option length 0
  fix(z);
  EXPECT_FALSE(icmpv6_repr::parse(*icmpv6_packet::new_checked(z), ip->src(), ip->dst()));
  bytes o = b;
  o[25] = 2;  // option runs past the message
  fix(o);
  EXPECT_FALSE(icmpv6_repr::parse(*icmpv6_packet::new_checked(o), ip->src(), ip->dst()));
  bytes c = b;
  c[1] = 1;  // NDP code must be 0
  fix(c);
  EXPECT_FALSE(icmpv6_repr::parse(*icmpv6_packet::new_checked(c), ip->src(), ip->dst()));
  bytes t(b.begin(), b.begin() + 20);  // NS shorter than its target
  fix(t);
  EXPECT_FALSE(icmpv6_repr::parse(*icmpv6_packet::new_checked(t), ip->src(), ip->dst()));
}

TEST(Addresses, Helpers) {
  EXPECT_EQ(ip_us.subnet_broadcast(24), (ipv4_address{{10, 99, 0, 255}}));
  EXPECT_TRUE(ip_us.same_prefix(ip_k, 24));
  EXPECT_FALSE(ip_us.same_prefix(ip_k, 32));
  EXPECT_EQ((ipv4_address{{224, 0, 0, 251}}).multicast_mac(),
            (mac_address{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}));
  EXPECT_EQ(v6(2).solicited_node().multicast_mac(),
            (mac_address{{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}}));
  EXPECT_TRUE(v6(1).same_prefix(v6(2), 64));
  EXPECT_TRUE(v6(1).same_prefix(v6(2), 126));
  EXPECT_FALSE(v6(1).same_prefix(v6(2), 127));
}

}  // namespace
}  // namespace ztkit::netstack::wire
