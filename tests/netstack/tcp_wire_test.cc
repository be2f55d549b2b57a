// TCP header view and repr (netstack/wire/tcp.h): a Linux SYN byte for byte, option parsing
// (RFC 9293 §3.2, RFC 7323, RFC 2018), malformed headers and options, round trips over IPv4
// and IPv6 pseudo-headers.
#include <gtest/gtest.h>

#include <vector>

#include "netstack/wire/tcp.h"

namespace ztkit::netstack::wire {
namespace {

const ipv4_address a4{{10, 0, 0, 1}};
const ipv4_address b4{{10, 0, 0, 2}};

// A Linux 6.x SYN (layout as tcpdump shows it): 10.0.0.1.54321 > 10.0.0.2.80, seq 0x12345678,
// win 64240, options [mss 1460,sackOK,TS val 168496141 ecr 0,nop,wscale 7].
const std::vector<std::uint8_t> linux_syn = {
    0xd4, 0x31, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0xe5, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

tcp_repr linux_syn_repr() {
  tcp_repr r;
  r.src_port = 54321;
  r.dst_port = 80;
  r.seq = 0x12345678;
  r.flags = tcp_flags::syn;
  r.window = 64240;
  r.mss = 1460;
  r.sack_permitted = true;
  r.ts = tcp_repr::timestamps{0x0a0b0c0d, 0};
  r.window_scale = 7;
  return r;
}

TEST(TcpWire, ParsesLinuxSyn) {
  auto p = tcp_packet::new_checked(linux_syn);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header_len(), 40u);
  EXPECT_EQ(p->src_port(), 54321);
  EXPECT_EQ(p->dst_port(), 80);
  EXPECT_TRUE(p->payload().empty());
  EXPECT_TRUE(p->verify_checksum(a4, b4));
  tcp_repr r;
  ASSERT_EQ(tcp_repr::parse(*p, a4, b4, r), tcp_error::ok);
  EXPECT_EQ(r, linux_syn_repr());
}

TEST(TcpWire, EmitsLinuxSynByteForByte) {
  // Our option order (MSS, SACK-permitted + TS, NOP WS) is Linux's.
  auto r = linux_syn_repr();
  ASSERT_EQ(r.header_len(), 40u);
  std::vector<std::uint8_t> out(40);
  EXPECT_EQ(r.emit(out, {}, a4, b4), 40u);
  EXPECT_EQ(out, linux_syn);
}

TEST(TcpWire, ChecksumCoversPseudoHeader) {
  tcp_repr r;
  ASSERT_EQ(tcp_repr::parse(*tcp_packet::new_checked(linux_syn), b4, a4, r), tcp_error::ok);
  ipv4_address other{{10, 0, 0, 3}};
  EXPECT_EQ(tcp_repr::parse(*tcp_packet::new_checked(linux_syn), a4, other, r),
            tcp_error::bad_checksum);
  auto bad = linux_syn;
  bad[30] ^= 1;
  EXPECT_EQ(tcp_repr::parse(*tcp_packet::new_checked(bad), a4, b4, r), tcp_error::bad_checksum);
}

TEST(TcpWire, RejectsShortAndBadOffset) {
  tcp_error why{};
  EXPECT_FALSE(tcp_packet::new_checked(std::span(linux_syn).first(19), &why));
  EXPECT_EQ(why, tcp_error::truncated);
  EXPECT_FALSE(tcp_packet::new_checked(std::span(linux_syn).first(39), &why));
  EXPECT_EQ(why, tcp_error::truncated);  // data offset says 40
  auto b = linux_syn;
  b[12] = 0x40;  // data offset 4
  EXPECT_FALSE(tcp_packet::new_checked(b, &why));
  EXPECT_EQ(why, tcp_error::bad_offset);
}

// Builds a header with the given option bytes (padded with EOL) and parses it without the
// checksum.
tcp_error parse_options(std::vector<std::uint8_t> opts, tcp_repr& r) {
  while (opts.size() % 4) opts.push_back(0);
  std::vector<std::uint8_t> h = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 1, 0, 0, 0, 0, 0};
  h[12] = static_cast<std::uint8_t>(((20 + opts.size()) / 4) << 4);
  h.insert(h.end(), opts.begin(), opts.end());
  auto p = tcp_packet::new_checked(h);
  if (!p) return tcp_error::truncated;
  return tcp_repr::parse_header(*p, r);
}

TEST(TcpWire, OptionsMalformed) {
  tcp_repr r;
  EXPECT_EQ(parse_options({2, 3, 5}, r), tcp_error::bad_option);           // MSS length 3
  EXPECT_EQ(parse_options({3, 4, 7, 0}, r), tcp_error::bad_option);        // WS length 4
  EXPECT_EQ(parse_options({4, 3, 0}, r), tcp_error::bad_option);           // SACKOK length 3
  EXPECT_EQ(parse_options({8, 8, 0, 0, 0, 0, 0, 0}, r), tcp_error::bad_option);  // TS length 8
  EXPECT_EQ(parse_options({5, 2}, r), tcp_error::bad_option);              // SACK, no block
  EXPECT_EQ(parse_options({5, 7, 0, 0, 0, 0, 0}, r), tcp_error::bad_option);  // not 2 + 8n
  EXPECT_EQ(parse_options({30, 1}, r), tcp_error::bad_option);             // length < 2
  EXPECT_EQ(parse_options({30, 9, 0, 0}, r), tcp_error::bad_option);       // runs past header
  EXPECT_EQ(parse_options({1, 1, 1, 30}, r), tcp_error::bad_option);       // no length byte
}

TEST(TcpWire, OptionsUnknownSkippedEolStops) {
  tcp_repr r;
  // Unknown kind 30 of length 4, then MSS; after EOL, garbage is padding.
  ASSERT_EQ(parse_options({30, 4, 9, 9, 2, 4, 0x05, 0xdc, 0, 2, 1}, r), tcp_error::ok);
  EXPECT_EQ(r.mss, 1500);
}

TEST(TcpWire, SackBlocksParsed) {
  tcp_repr r;
  ASSERT_EQ(parse_options({1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40}, r),
            tcp_error::ok);
  ASSERT_EQ(r.sack_count, 2);
  EXPECT_EQ(r.sack[0], (tcp_sack_block{10, 20}));
  EXPECT_EQ(r.sack[1], (tcp_sack_block{30, 40}));
}

TEST(TcpWire, RejectsBadFlagsAndPorts) {
  tcp_repr r;
  auto b = linux_syn;
  b[13] = tcp_flags::syn | tcp_flags::fin;
  EXPECT_EQ(tcp_repr::parse_header(*tcp_packet::new_checked(b), r), tcp_error::bad_flags);
  b[13] = tcp_flags::syn | tcp_flags::rst;
  EXPECT_EQ(tcp_repr::parse_header(*tcp_packet::new_checked(b), r), tcp_error::bad_flags);
  b = linux_syn;
  b[2] = b[3] = 0;
  EXPECT_EQ(tcp_repr::parse_header(*tcp_packet::new_checked(b), r), tcp_error::bad_port);
}

TEST(TcpWire, RoundTripIpv6WithPayloadInTwoParts) {
  ipv6_address s, d;
  s.b[0] = d.b[0] = 0xfd;
  s.b[15] = 1;
  d.b[15] = 2;
  tcp_repr r;
  r.src_port = 443;
  r.dst_port = 50000;
  r.seq = 0xfffffff0;
  r.ack = 77;
  r.flags = tcp_flags::ack | tcp_flags::psh;
  r.window = 1234;
  r.ts = tcp_repr::timestamps{5, 6};
  r.sack_count = 3;
  r.sack[0] = {100, 200};
  r.sack[1] = {300, 400};
  r.sack[2] = {500, 600};
  ASSERT_EQ(r.header_len(), 20u + 12 + 28);
  std::vector<std::uint8_t> p1 = {1, 2, 3}, p2 = {4, 5, 6, 7};  // odd first part
  std::vector<std::uint8_t> out(r.header_len() + 7);
  ASSERT_EQ(r.emit(out, p1, p2, s, d), out.size());
  auto p = tcp_packet::new_checked(out);
  ASSERT_TRUE(p);
  tcp_repr back;
  ASSERT_EQ(tcp_repr::parse(*p, s, d, back), tcp_error::ok);
  EXPECT_EQ(back, r);
  EXPECT_EQ(std::vector<std::uint8_t>(p->payload().begin(), p->payload().end()),
            (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(TcpWire, SackBlocksClampedToOptionSpace) {
  tcp_repr r;
  r.src_port = r.dst_port = 1;
  r.sack_count = 4;
  EXPECT_EQ(r.header_len(), 20u + 4 + 32);  // 4 blocks without timestamps
  r.ts = tcp_repr::timestamps{1, 2};
  EXPECT_EQ(r.header_len(), 20u + 12 + 28);  // 3 beside timestamps
  r.mss = 1460;
  r.window_scale = 7;
  r.sack_permitted = true;
  EXPECT_LE(r.header_len(), 60u);
}

TEST(TcpWire, SeqLenCountsSynAndFin) {
  tcp_repr r;
  r.flags = tcp_flags::syn;
  EXPECT_EQ(r.seq_len(0), 1u);
  r.flags = tcp_flags::fin | tcp_flags::ack;
  EXPECT_EQ(r.seq_len(10), 11u);
}

}  // namespace
}  // namespace ztkit::netstack::wire
