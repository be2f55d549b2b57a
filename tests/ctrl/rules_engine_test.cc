// ctrl/network/rules_engine.h against ZeroTierOne 1.14.1 node/Network.cpp (_doZtFilter,
// filterOutgoingPacket, filterIncomingPacket); line numbers below refer to that file. Frames are
// built by hand: Ethernet payloads (IPv4/IPv6/ARP) with the fields each rule reads.
#include "ctrl/network/rules_engine.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "engine/wire/bytes.h"

namespace ztkit::ctrl {
namespace {

using wire::rule;
using wire::rule_type;
namespace rc = rule_characteristics;
using bytes = std::vector<std::uint8_t>;

constexpr zt_address us{0x1111111111};
constexpr zt_address peer{0x2222222222};
constexpr zt_address other{0x3333333333};
constexpr zt_address fourth{0x4444444444};
const wire::mac_address our_mac{{0x32, 0x11, 0x11, 0x11, 0x11, 0x11}};
const wire::mac_address peer_mac{{0x32, 0x22, 0x22, 0x22, 0x22, 0x22}};

// ---------------------------------------------------------------------------------------------
// Rules.

rule mk(rule_type t, bytes field = {}, bool negate = false, bool or_prev = false) {
  return rule{static_cast<std::uint8_t>(static_cast<std::uint8_t>(t) | (negate ? rule::not_bit : 0) |
                                        (or_prev ? rule::or_bit : 0)),
              std::move(field)};
}
rule raw(std::uint8_t type_byte, bytes field = {}) { return rule{type_byte, std::move(field)}; }
bytes be(std::uint64_t v, std::size_t n) {
  bytes b(n);
  wire::store_be_n(b.data(), v, n);
  return b;
}
bytes cat(std::initializer_list<bytes> parts) {
  std::size_t n = 0;
  for (const auto& p : parts) n += p.size();
  bytes out(n);
  n = 0;
  for (const auto& p : parts) {
    std::copy(p.begin(), p.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    n += p.size();
  }
  return out;
}
rule accept() { return rule::action(rule_type::action_accept); }
rule drop() { return rule::action(rule_type::action_drop); }
rule brk() { return rule::action(rule_type::action_break); }
rule fwd(rule_type t, zt_address to, std::uint16_t length = 0, std::uint32_t flags = 0) {
  return mk(t, cat({be(to.value(), 8), be(flags, 4), be(length, 2)}));
}
rule ethertype(std::uint16_t et, bool negate = false, bool or_prev = false) {
  return rule::ethertype(et, negate, or_prev);
}
rule tag(rule_type t, std::uint32_t id, std::uint32_t value, bool negate = false) {
  return rule::tag_match(t, id, value, negate);
}

// ---------------------------------------------------------------------------------------------
// Frames (Ethernet payloads).

bytes ipv4(std::uint8_t proto, std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst,
           const bytes& l4 = {}, std::uint8_t tos = 0) {
  bytes p(20 + l4.size(), 0);
  p[0] = 0x45;
  p[1] = tos;
  wire::store_be16(&p[2], static_cast<std::uint16_t>(20 + l4.size()));
  p[8] = 64;
  p[9] = proto;
  std::copy(src.begin(), src.end(), p.begin() + 12);
  std::copy(dst.begin(), dst.end(), p.begin() + 16);
  std::copy(l4.begin(), l4.end(), p.begin() + 20);
  return p;
}
bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint16_t flags) {
  bytes t(20, 0);
  wire::store_be16(&t[0], sport);
  wire::store_be16(&t[2], dport);
  t[12] = static_cast<std::uint8_t>(0x50 | ((flags >> 8) & 0x0f));
  t[13] = static_cast<std::uint8_t>(flags);
  return t;
}
bytes udp(std::uint16_t sport, std::uint16_t dport) {
  bytes u(8, 0);
  wire::store_be16(&u[0], sport);
  wire::store_be16(&u[2], dport);
  return u;
}
bytes icmp(std::uint8_t type, std::uint8_t code) { return {type, code, 0, 0, 0, 0, 0, 0}; }

using ip6 = std::array<std::uint8_t, 16>;
constexpr ip6 v6a{0xfd, 0x00, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0a};
constexpr ip6 v6b{0xfd, 0x00, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x0b};
// IPv6 with optional extension headers: each `ext` is [next header][8-byte-unit length - 1]...
bytes ipv6(std::uint8_t next, ip6 src, ip6 dst, const bytes& rest = {}, std::uint8_t tclass = 0) {
  bytes p(40 + rest.size(), 0);
  p[0] = static_cast<std::uint8_t>(0x60 | (tclass >> 4));
  p[1] = static_cast<std::uint8_t>(tclass << 4);
  wire::store_be16(&p[4], static_cast<std::uint16_t>(rest.size()));
  p[6] = next;
  p[7] = 64;
  std::copy(src.begin(), src.end(), p.begin() + 8);
  std::copy(dst.begin(), dst.end(), p.begin() + 24);
  std::copy(rest.begin(), rest.end(), p.begin() + 40);
  return p;
}
// An 8-byte hop-by-hop/destination-options header whose next header is `next`.
bytes ext8(std::uint8_t next) { return {next, 0, 1, 4, 0, 0, 0, 0}; }
bytes arp_request(std::array<std::uint8_t, 4> sender, std::array<std::uint8_t, 4> target) {
  bytes a(28, 0);
  const std::uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  std::copy(std::begin(head), std::end(head), a.begin());
  std::copy(peer_mac.bytes.begin(), peer_mac.bytes.end(), a.begin() + 8);
  std::copy(sender.begin(), sender.end(), a.begin() + 14);
  std::copy(target.begin(), target.end(), a.begin() + 24);
  return a;
}

// A deterministic oracle that counts what it is asked.
struct test_oracle final : rules_oracle {
  std::uint32_t next_random = 0;
  int random_calls = 0;
  bytes owned_ip;
  std::optional<wire::mac_address> owned_mac;
  std::uint32_t random32() override {
    ++random_calls;
    return next_random;
  }
  bool sender_owns_ip(std::span<const std::uint8_t> ip) override {
    return bytes(ip.begin(), ip.end()) == owned_ip;
  }
  bool sender_owns_mac(const wire::mac_address& m) override { return owned_mac && *owned_mac == m; }
};

struct fixture : ::testing::Test {
  test_oracle oracle;
  std::vector<rule_tag> local_tags;
  std::vector<rule_tag> remote_tags;
  bool unsupported = false;
  bytes payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, tcp(40000, 80, 0x02));
  std::uint16_t et = 0x0800;
  wire::mac_address mac_dest = peer_mac;
  std::uint16_t vlan = 0;

  rules_context ctx() {
    return {.local_tags = local_tags, .remote_tags = remote_tags,
            .unsupported_match_result = unsupported, .oracle = &oracle};
  }
  // Outbound from us to peer, or inbound from peer to us.
  rules_frame frame(bool inbound) {
    return {.inbound = inbound, .our_address = us, .source = inbound ? peer : us,
            .dest = inbound ? us : peer, .mac_source = inbound ? peer_mac : our_mac,
            .mac_dest = inbound ? (mac_dest == peer_mac ? our_mac : mac_dest) : mac_dest,
            .ethertype = et, .vlan_id = vlan, .payload = payload};
  }
  rules_pass eval(const std::vector<rule>& rules, bool inbound = false) {
    return evaluate_rules(rules, frame(inbound), ctx());
  }
  // True when `matches` followed by ACCEPT accepts the frame (the set matched).
  bool matches(std::vector<rule> m, bool inbound = false) {
    m.push_back(accept());
    return eval(m, inbound).verdict == rules_verdict::accept;
  }
  filter_result out(const std::vector<rule>& rules,
                    const std::vector<wire::capability_credential>& caps = {}, bool no_tee = false) {
    return filter_outgoing(rules, caps, frame(false), ctx(), no_tee);
  }
  filter_result in(const std::vector<rule>& rules,
                   const std::vector<wire::capability_credential>& caps = {}) {
    return filter_incoming(rules, caps, frame(true), ctx());
  }
};

wire::capability_credential cap(std::uint32_t id, std::vector<rule> rules) {
  wire::capability_credential c;
  c.id = id;
  c.rules = std::move(rules);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Default behaviour and set chaining (Network.cpp:118-227, 590-597).

TEST_F(fixture, EmptyRuleListDropsEverything) {
  EXPECT_EQ(eval({}).verdict, rules_verdict::no_match);
  EXPECT_EQ(out({}).action, filter_action::drop);
  EXPECT_FALSE(out({}).accepted);
  EXPECT_EQ(in({}).action, filter_action::drop);
}

TEST_F(fixture, MatchesWithoutActionFallOffTheEnd) {
  EXPECT_EQ(eval({ethertype(0x0800)}).verdict, rules_verdict::no_match);
  EXPECT_EQ(out({ethertype(0x0800)}).action, filter_action::drop);
}

TEST_F(fixture, BareActionsAreTaken) {
  EXPECT_EQ(out({accept()}).action, filter_action::accept);
  EXPECT_EQ(in({accept()}).action, filter_action::accept);
  EXPECT_EQ(out({drop(), accept()}).action, filter_action::drop);
  auto p = eval({drop()});
  EXPECT_EQ(p.verdict, rules_verdict::drop);
  EXPECT_EQ(p.rule_index, 0u);
}

TEST_F(fixture, FailedSetResetsAtItsAction) {
  // ARP only -> drop; then accept everything else.
  const std::vector<rule> r{ethertype(0x0806), drop(), accept()};
  EXPECT_EQ(out(r).action, filter_action::accept);
  payload = arp_request({10, 0, 0, 1}, {10, 0, 0, 2});
  et = 0x0806;
  EXPECT_EQ(out(r).action, filter_action::drop);
}

TEST_F(fixture, NotBitInvertsAMatch) {
  EXPECT_TRUE(matches({ethertype(0x0800)}));
  EXPECT_FALSE(matches({ethertype(0x0800, true)}));
  EXPECT_TRUE(matches({ethertype(0x86dd, true)}));
}

TEST_F(fixture, OrChainsWithThePreviousMatch) {
  // Central's default: accept IPv4, ARP or IPv6; drop the rest.
  const std::vector<rule> r{ethertype(0x0800, true), ethertype(0x0806, true),
                            ethertype(0x86dd, true), drop(), accept()};
  EXPECT_EQ(out(r).action, filter_action::accept);
  et = 0x88cc;
  EXPECT_EQ(out(r).action, filter_action::drop);
  et = 0x0800;

  // ethertype 0x86dd OR ethertype 0x0800.
  EXPECT_TRUE(matches({ethertype(0x86dd), ethertype(0x0800, false, true)}));
  EXPECT_FALSE(matches({ethertype(0x86dd), ethertype(0x0806, false, true)}));
  // OR NOT: (false) | !(IPv6) = true.
  EXPECT_TRUE(matches({ethertype(0x0806), ethertype(0x86dd, true, true)}));
  // Chaining is strictly left to right: (A | B) & C.
  EXPECT_FALSE(matches({ethertype(0x0806), ethertype(0x0800, false, true), ethertype(0x86dd)}));
  // A & B | C: false & x | true = true.
  EXPECT_TRUE(matches({ethertype(0x0806), ethertype(0x86dd), ethertype(0x0800, false, true)}));
}

TEST_F(fixture, AndAfterAFalseSetIsNotEvaluated) {
  // Network.cpp:221: MATCH_RANDOM after a false AND is skipped (no PRNG call); an OR is not.
  const rule always = mk(rule_type::match_random, be(0xffffffff, 4));
  EXPECT_FALSE(matches({ethertype(0x0806), always}));
  EXPECT_EQ(oracle.random_calls, 0);
  rule or_always = always;
  or_always.t |= rule::or_bit;
  EXPECT_TRUE(matches({ethertype(0x0806), or_always}));
  EXPECT_EQ(oracle.random_calls, 1);
}

TEST_F(fixture, UnknownActionsAreNoOpsThatKeepTheSet) {
  // Type 7 is an action slot (<= 15): taken as a no-op, the set stays as it was.
  EXPECT_EQ(eval({ethertype(0x0800), raw(7), accept()}).verdict, rules_verdict::accept);
  // A false set still resets at it.
  EXPECT_EQ(eval({ethertype(0x0806), raw(15), accept()}).verdict, rules_verdict::accept);
  // A true set is not reset by the no-op: the later AND still applies.
  EXPECT_EQ(eval({ethertype(0x0800), raw(7), ethertype(0x0806), accept()}).verdict,
            rules_verdict::no_match);
}

TEST_F(fixture, UnsupportedMatchesFollowTheNetconfFlag) {
  // 16..23 and 52..63 are matches 1.14 does not know (Network.cpp:584).
  for (std::uint8_t t : {16, 23, 52, 63}) {
    unsupported = false;
    EXPECT_FALSE(matches({raw(t, {1, 2, 3})})) << int(t);
    EXPECT_TRUE(matches({raw(static_cast<std::uint8_t>(t | 0x80))})) << int(t);
    unsupported = true;
    EXPECT_TRUE(matches({raw(t)})) << int(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Matches, one by one (Network.cpp:233-588).

TEST_F(fixture, ZeroTierAddresses) {
  EXPECT_TRUE(matches({mk(rule_type::match_source_zt_address, be(us.value(), 5))}));
  EXPECT_FALSE(matches({mk(rule_type::match_source_zt_address, be(peer.value(), 5))}));
  EXPECT_TRUE(matches({mk(rule_type::match_source_zt_address, be(peer.value(), 5))}, true));
  EXPECT_TRUE(matches({mk(rule_type::match_dest_zt_address, be(peer.value(), 5))}));
  EXPECT_FALSE(matches({mk(rule_type::match_dest_zt_address, be(other.value(), 5))}));
  EXPECT_TRUE(matches({mk(rule_type::match_dest_zt_address, be(other.value(), 5), true)}));
}

TEST_F(fixture, VlanIdPcpDei) {
  EXPECT_TRUE(matches({mk(rule_type::match_vlan_id, be(0, 2))}));
  EXPECT_FALSE(matches({mk(rule_type::match_vlan_id, be(5, 2))}));
  vlan = 5;
  EXPECT_TRUE(matches({mk(rule_type::match_vlan_id, be(5, 2))}));
  // PCP/DEI are not supported by 1.14: a rule value of 0 matches, anything else does not.
  EXPECT_TRUE(matches({mk(rule_type::match_vlan_pcp, {0})}));
  EXPECT_FALSE(matches({mk(rule_type::match_vlan_pcp, {3})}));
  EXPECT_TRUE(matches({mk(rule_type::match_vlan_dei, {0})}));
  EXPECT_FALSE(matches({mk(rule_type::match_vlan_dei, {1})}));
  EXPECT_TRUE(matches({mk(rule_type::match_vlan_dei, {1}, true)}));
}

TEST_F(fixture, MacSourceAndDest) {
  const bytes ours(our_mac.bytes.begin(), our_mac.bytes.end());
  const bytes theirs(peer_mac.bytes.begin(), peer_mac.bytes.end());
  EXPECT_TRUE(matches({mk(rule_type::match_mac_source, ours)}));
  EXPECT_FALSE(matches({mk(rule_type::match_mac_source, theirs)}));
  EXPECT_TRUE(matches({mk(rule_type::match_mac_dest, theirs)}));
  EXPECT_FALSE(matches({mk(rule_type::match_mac_dest, ours)}));
  EXPECT_TRUE(matches({mk(rule_type::match_mac_dest, ours, true)}));
}

TEST_F(fixture, Ipv4SourceAndDestPrefixes) {
  auto v4 = [](rule_type t, std::array<std::uint8_t, 4> ip, std::uint8_t bits, bool neg = false) {
    return mk(t, {ip[0], ip[1], ip[2], ip[3], bits}, neg);
  };
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_source, {10, 0, 0, 0}, 24)}));
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_source, {10, 0, 0, 1}, 32)}));
  EXPECT_FALSE(matches({v4(rule_type::match_ipv4_source, {10, 0, 1, 0}, 24)}));
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_dest, {10, 0, 0, 2}, 32)}));
  EXPECT_FALSE(matches({v4(rule_type::match_ipv4_dest, {10, 0, 0, 1}, 32)}));
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_dest, {192, 168, 0, 0}, 0)}));  // /0: anything
  // IPv4 rule bits past the prefix are ignored (both sides are shifted, Network.cpp:259).
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_dest, {10, 0, 0, 99}, 24)}));
  EXPECT_TRUE(matches({v4(rule_type::match_ipv4_dest, {10, 0, 0, 1}, 32, true)}));
  // Not IPv4: a hard no, negated or not.
  payload = ipv6(17, v6a, v6b, udp(1, 2));
  et = 0x86dd;
  EXPECT_FALSE(matches({v4(rule_type::match_ipv4_source, {0, 0, 0, 0}, 0)}));
  EXPECT_FALSE(matches({v4(rule_type::match_ipv4_source, {10, 0, 0, 0}, 8, true)}));
  // IPv4 ethertype but shorter than a header: also a hard no.
  payload.assign(19, 0);
  et = 0x0800;
  EXPECT_FALSE(matches({v4(rule_type::match_ipv4_dest, {10, 0, 0, 0}, 8, true)}));
}

TEST_F(fixture, Ipv6SourceAndDestPrefixes) {
  payload = ipv6(17, v6a, v6b, udp(1000, 2000));
  et = 0x86dd;
  auto v6 = [](rule_type t, ip6 ip, std::uint8_t bits, bool neg = false) {
    bytes f(ip.begin(), ip.end());
    f.push_back(bits);
    return mk(t, f, neg);
  };
  ip6 net_a = v6a;
  for (int i = 8; i < 16; ++i) net_a[i] = 0;
  EXPECT_TRUE(matches({v6(rule_type::match_ipv6_source, net_a, 64)}));
  EXPECT_TRUE(matches({v6(rule_type::match_ipv6_source, v6a, 128)}));
  EXPECT_FALSE(matches({v6(rule_type::match_ipv6_dest, net_a, 64)}));
  EXPECT_TRUE(matches({v6(rule_type::match_ipv6_dest, v6b, 128)}));
  EXPECT_TRUE(matches({v6(rule_type::match_ipv6_dest, v6a, 128, true)}));
  // Unlike IPv4, the rule's host bits are compared unmasked: fd00::1:0:0:0:a/64 never matches.
  EXPECT_FALSE(matches({v6(rule_type::match_ipv6_source, v6a, 64)}));
  // /0 matches only the all-zero rule address.
  EXPECT_TRUE(matches({v6(rule_type::match_ipv6_source, ip6{}, 0)}));
  // Not IPv6: hard no.
  payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, tcp(1, 2, 0));
  et = 0x0800;
  EXPECT_FALSE(matches({v6(rule_type::match_ipv6_source, ip6{}, 0)}));
  EXPECT_FALSE(matches({v6(rule_type::match_ipv6_source, v6a, 128, true)}));
}

TEST_F(fixture, IpTosMaskAndRange) {
  payload = ipv4(17, {10, 0, 0, 1}, {10, 0, 0, 2}, udp(1, 2), 0xb8);  // DSCP EF
  EXPECT_TRUE(matches({mk(rule_type::match_ip_tos, {0xfc, 0xb8, 0xb8})}));
  EXPECT_TRUE(matches({mk(rule_type::match_ip_tos, {0xf0, 0xa0, 0xb0})}));
  EXPECT_FALSE(matches({mk(rule_type::match_ip_tos, {0xff, 0x00, 0x10})}));
  EXPECT_TRUE(matches({mk(rule_type::match_ip_tos, {0xff, 0x00, 0x10}, true)}));
  // IPv6 traffic class straddles bytes 0 and 1.
  payload = ipv6(17, v6a, v6b, udp(1, 2), 0x2e);
  et = 0x86dd;
  EXPECT_TRUE(matches({mk(rule_type::match_ip_tos, {0xff, 0x2e, 0x2e})}));
  EXPECT_FALSE(matches({mk(rule_type::match_ip_tos, {0xff, 0x2f, 0xff})}));
  // ARP: hard no.
  payload = arp_request({10, 0, 0, 1}, {10, 0, 0, 2});
  et = 0x0806;
  EXPECT_FALSE(matches({mk(rule_type::match_ip_tos, {0, 0, 0xff}, true)}));
}

TEST_F(fixture, IpProtocolIncludingIpv6ExtensionHeaders) {
  EXPECT_TRUE(matches({rule::ip_protocol_match(6)}));
  EXPECT_FALSE(matches({rule::ip_protocol_match(17)}));
  EXPECT_TRUE(matches({rule::ip_protocol_match(17, true)}));
  // IPv6: hop-by-hop then destination options then UDP.
  payload = ipv6(0, v6a, v6b, cat({ext8(60), ext8(17), udp(53, 53)}));
  et = 0x86dd;
  EXPECT_TRUE(matches({rule::ip_protocol_match(17)}));
  EXPECT_FALSE(matches({rule::ip_protocol_match(0)}));
  // An extension header running off the end: hard no (Network.cpp:57).
  payload = ipv6(0, v6a, v6b, {17, 0, 0});
  EXPECT_FALSE(matches({rule::ip_protocol_match(17)}));
  EXPECT_FALSE(matches({rule::ip_protocol_match(6, true)}));
  // Fragment header (44) is not skipped: it is the "protocol".
  payload = ipv6(44, v6a, v6b, {17, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(matches({rule::ip_protocol_match(44)}));
  // ARP: hard no.
  payload = arp_request({10, 0, 0, 1}, {10, 0, 0, 2});
  et = 0x0806;
  EXPECT_FALSE(matches({rule::ip_protocol_match(6, true)}));
}

TEST_F(fixture, Ethertype) {
  EXPECT_TRUE(matches({ethertype(0x0800)}));
  EXPECT_FALSE(matches({ethertype(0x0806)}));
  et = 0x0806;
  EXPECT_TRUE(matches({ethertype(0x0806)}));
}

TEST_F(fixture, IcmpTypeAndOptionalCode) {
  payload = ipv4(1, {10, 0, 0, 1}, {10, 0, 0, 2}, icmp(8, 0));  // echo request
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {8, 0, 0})}));
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {8, 99, 0})}));   // code not checked
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {8, 0, 1})}));    // code checked
  EXPECT_FALSE(matches({mk(rule_type::match_icmp, {8, 3, 1})}));
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {8, 3, 1}, true)}));
  // A type mismatch is a hard no: NOT type 0 does not match an echo request (Network.cpp:327).
  EXPECT_FALSE(matches({mk(rule_type::match_icmp, {0, 0, 0})}));
  EXPECT_FALSE(matches({mk(rule_type::match_icmp, {0, 0, 0}, true)}));
  // Type matched without a code check is a hard yes: NOT type 8 still matches.
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {8, 0, 0}, true)}));
  // ICMPv6 after an extension header.
  payload = ipv6(0, v6a, v6b, cat({ext8(58), icmp(128, 0)}));
  et = 0x86dd;
  EXPECT_TRUE(matches({mk(rule_type::match_icmp, {128, 0, 1})}));
  EXPECT_FALSE(matches({mk(rule_type::match_icmp, {129, 0, 0})}));
  // Not ICMP: hard no.
  payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, tcp(1, 2, 0));
  et = 0x0800;
  EXPECT_FALSE(matches({mk(rule_type::match_icmp, {8, 0, 0}, true)}));
}

TEST_F(fixture, PortRanges) {
  const auto src = rule_type::match_ip_source_port_range;
  const auto dst = rule_type::match_ip_dest_port_range;
  EXPECT_TRUE(matches({rule::port_range(dst, 80, 80)}));
  EXPECT_TRUE(matches({rule::port_range(dst, 1, 1024)}));
  EXPECT_FALSE(matches({rule::port_range(dst, 81, 443)}));
  EXPECT_TRUE(matches({rule::port_range(src, 32768, 65535)}));
  EXPECT_FALSE(matches({rule::port_range(src, 80, 80)}));
  EXPECT_TRUE(matches({rule::port_range(src, 80, 80, true)}));
  payload = ipv4(17, {10, 0, 0, 1}, {10, 0, 0, 2}, udp(5353, 53));
  EXPECT_TRUE(matches({rule::port_range(dst, 53, 53)}));
  // A protocol without ports is a plain no: NOT makes it match (Network.cpp:377).
  payload = ipv4(1, {10, 0, 0, 1}, {10, 0, 0, 2}, icmp(8, 0));
  EXPECT_FALSE(matches({rule::port_range(dst, 0, 65535)}));
  EXPECT_TRUE(matches({rule::port_range(dst, 0, 65535, true)}));
  // IPv4 port 0 matches a range containing it; IPv6 port 0 never does (p > 0, Network.cpp:395).
  payload = ipv4(17, {10, 0, 0, 1}, {10, 0, 0, 2}, udp(0, 0));
  EXPECT_TRUE(matches({rule::port_range(dst, 0, 10)}));
  payload = ipv6(17, v6a, v6b, udp(0, 0));
  et = 0x86dd;
  EXPECT_FALSE(matches({rule::port_range(dst, 0, 10)}));
  payload = ipv6(60, v6a, v6b, cat({ext8(6), tcp(1234, 443, 0x10)}));
  EXPECT_TRUE(matches({rule::port_range(dst, 443, 443)}));
  EXPECT_TRUE(matches({rule::port_range(src, 1234, 1234)}));
  // ARP: hard no.
  payload = arp_request({10, 0, 0, 1}, {10, 0, 0, 2});
  et = 0x0806;
  EXPECT_FALSE(matches({rule::port_range(dst, 0, 65535, true)}));
}

rule chars(std::uint64_t bits, bool negate = false) {
  return mk(rule_type::match_characteristics, be(bits, 8), negate);
}

TEST_F(fixture, CharacteristicsDirectionAndDestination) {
  EXPECT_FALSE(matches({chars(rc::inbound)}));
  EXPECT_TRUE(matches({chars(rc::inbound)}, true));
  EXPECT_TRUE(matches({chars(rc::inbound, true)}));
  EXPECT_FALSE(matches({chars(rc::multicast | rc::broadcast)}));
  mac_dest = wire::mac_address{{0x33, 0x33, 0xff, 0, 0, 1}};
  EXPECT_TRUE(matches({chars(rc::multicast)}));
  EXPECT_FALSE(matches({chars(rc::broadcast)}));
  mac_dest = wire::mac_address::broadcast();
  EXPECT_TRUE(matches({chars(rc::broadcast)}));
  EXPECT_TRUE(matches({chars(rc::multicast)}));
}

TEST_F(fixture, CharacteristicsTcpFlags) {
  // SYN only: "drop SYN without ACK" style rules.
  EXPECT_TRUE(matches({chars(rc::tcp_syn)}));
  EXPECT_FALSE(matches({chars(rc::tcp_ack)}));
  EXPECT_TRUE(matches({chars(rc::tcp_ack, true)}));
  payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, tcp(1, 2, 0x012));
  EXPECT_TRUE(matches({chars(rc::tcp_ack)}));
  payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, tcp(1, 2, 0x100));  // NS (byte 12's low nibble)
  EXPECT_TRUE(matches({chars(rc::tcp_ns)}));
  EXPECT_FALSE(matches({chars(rc::tcp_syn | rc::tcp_fin)}));
  // IPv6 TCP behind an extension header.
  payload = ipv6(0, v6a, v6b, cat({ext8(6), tcp(1, 2, 0x011)}));
  et = 0x86dd;
  EXPECT_TRUE(matches({chars(rc::tcp_fin)}));
  EXPECT_FALSE(matches({chars(rc::tcp_rst)}));
  // UDP has no TCP flags.
  payload = ipv4(17, {10, 0, 0, 1}, {10, 0, 0, 2}, udp(1, 2));
  et = 0x0800;
  EXPECT_FALSE(matches({chars(0xfff)}));
  // A truncated IPv4 TCP header: 1.14 reads past the frame; here those bytes read as zero.
  payload = ipv4(6, {10, 0, 0, 1}, {10, 0, 0, 2}, {0, 1, 0, 2});
  EXPECT_FALSE(matches({chars(0xfff)}));
}

TEST_F(fixture, CharacteristicsSenderAuthenticated) {
  EXPECT_FALSE(matches({chars(rc::sender_ip_authenticated | rc::sender_mac_authenticated)}, true));
  oracle.owned_ip = {10, 0, 0, 1};
  EXPECT_TRUE(matches({chars(rc::sender_ip_authenticated)}, true));
  EXPECT_FALSE(matches({chars(rc::sender_mac_authenticated)}, true));
  oracle.owned_mac = peer_mac;
  EXPECT_TRUE(matches({chars(rc::sender_mac_authenticated)}, true));
  // ARP: the sender protocol address is the IP checked.
  payload = arp_request({10, 0, 0, 9}, {10, 0, 0, 2});
  et = 0x0806;
  EXPECT_FALSE(matches({chars(rc::sender_ip_authenticated)}, true));
  oracle.owned_ip = {10, 0, 0, 9};
  EXPECT_TRUE(matches({chars(rc::sender_ip_authenticated)}, true));
  // IPv6 neighbor solicitation: authenticated without asking (Network.cpp:403).
  bytes ns(24, 0);
  ns[0] = 0x87;
  payload = ipv6(58, ip6{}, v6b, ns);
  et = 0x86dd;
  oracle.owned_ip.clear();
  EXPECT_TRUE(matches({chars(rc::sender_ip_authenticated)}, true));
  EXPECT_TRUE(matches({chars(rc::sender_ip_authenticated)}, false));
  // Neighbor advertisement: its target address is the one checked.
  bytes na(24, 0);
  na[0] = 0x88;
  std::copy(v6a.begin(), v6a.end(), na.begin() + 8);
  payload = ipv6(58, v6b, v6b, na);
  EXPECT_FALSE(matches({chars(rc::sender_ip_authenticated)}, true));
  oracle.owned_ip = bytes(v6a.begin(), v6a.end());
  EXPECT_TRUE(matches({chars(rc::sender_ip_authenticated)}, true));
}

TEST_F(fixture, CooOracleAnswersOwnership) {
  wire::certificate_of_ownership coo;
  wire::certificate_of_ownership::owned_thing ip{};
  ip.type = 2;
  ip.value[0] = 10, ip.value[3] = 1;
  wire::certificate_of_ownership::owned_thing mac{};
  mac.type = 1;
  std::copy(our_mac.bytes.begin(), our_mac.bytes.end(), mac.value.begin());
  coo.things = {ip, mac};
  std::vector<wire::certificate_of_ownership> coos{coo};
  coo_rules_oracle o(coos);
  rules_context c = ctx();
  c.oracle = &o;
  const std::vector<rule> r{chars(rc::sender_ip_authenticated), chars(rc::sender_mac_authenticated), accept()};
  // Outbound: our own COOs vouch for our source IP 10.0.0.1 and MAC.
  EXPECT_EQ(evaluate_rules(r, frame(false), c).verdict, rules_verdict::accept);
  payload = ipv4(6, {10, 0, 0, 7}, {10, 0, 0, 2}, tcp(1, 2, 0));
  EXPECT_EQ(evaluate_rules(r, frame(false), c).verdict, rules_verdict::no_match);
  EXPECT_TRUE(coo_owns(coo, wire::certificate_of_ownership::thing::mac, our_mac.bytes));
  EXPECT_FALSE(coo_owns(coo, wire::certificate_of_ownership::thing::mac, peer_mac.bytes));
}

TEST_F(fixture, FrameSizeRange) {
  const auto n = static_cast<std::uint16_t>(payload.size());  // the Ethernet payload's length
  EXPECT_TRUE(matches({mk(rule_type::match_frame_size_range, cat({be(n, 2), be(n, 2)}))}));
  EXPECT_TRUE(matches({mk(rule_type::match_frame_size_range, cat({be(0, 2), be(1500, 2)}))}));
  EXPECT_FALSE(matches({mk(rule_type::match_frame_size_range, cat({be(n + 1, 2), be(1500, 2)}))}));
  EXPECT_FALSE(matches({mk(rule_type::match_frame_size_range, cat({be(0, 2), be(n - 1, 2)}))}));
}

TEST_F(fixture, RandomUsesTheCallersSource) {
  const rule half = mk(rule_type::match_random, be(0x7fffffff, 4));
  oracle.next_random = 0x7fffffff;
  EXPECT_TRUE(matches({half}));
  oracle.next_random = 0x80000000;
  EXPECT_FALSE(matches({half}));
  EXPECT_TRUE(matches({mk(rule_type::match_random, be(0x7fffffff, 4), true)}));
  oracle.next_random = 0;
  EXPECT_TRUE(matches({mk(rule_type::match_random, be(0, 4))}));
  EXPECT_EQ(oracle.random_calls, 4);
  // The seeded oracle is deterministic and spreads values.
  coo_rules_oracle a({}, 42), b({}, 42);
  int high = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.random32();
    EXPECT_EQ(x, b.random32());
    high += x >= 0x80000000u;
  }
  EXPECT_GT(high, 400);
  EXPECT_LT(high, 600);
}

rule int_range(std::uint64_t start, std::uint64_t end, std::uint16_t idx, std::uint8_t format,
               bool negate = false) {
  return mk(rule_type::match_integer_range,
            cat({be(start, 8), be(end, 8), be(idx, 2), bytes{format}}), negate);
}

TEST_F(fixture, IntegerRangeBigAndLittleEndian) {
  // Big-endian 16 bits (format 15): 1.14 reads from idx + 8 - 2 (Network.cpp:562), so idx 12
  // reads the bytes at 18..19 -- the IPv4 destination's last two bytes (0x0002).
  EXPECT_TRUE(matches({int_range(2, 2, 12, 15)}));
  EXPECT_FALSE(matches({int_range(3, 10, 12, 15)}));
  EXPECT_TRUE(matches({int_range(3, 10, 12, 15, true)}));
  // 8 bits at idx 2 -> byte 9, the IP protocol (6).
  EXPECT_TRUE(matches({int_range(6, 6, 2, 7)}));
  // 4 bits (format 3) at idx 1 + 7 = byte 8, the TTL 0x40, masked to its low nibble: 0.
  EXPECT_TRUE(matches({int_range(0, 0, 1, 3)}));
  EXPECT_FALSE(matches({int_range(0x40, 0x40, 1, 3)}));
  // The offset is not taken modulo 2^16: idx 65535 reads past any frame.
  EXPECT_TRUE(matches({int_range(0, 0, 65535, 7)}));
  // Little-endian 16 bits (0x80 | 15) at idx 20: TCP source port 40000 = 0x9c40, read LE 0x409c.
  EXPECT_TRUE(matches({int_range(0x409c, 0x409c, 20, 0x80 | 15)}));
  EXPECT_FALSE(matches({int_range(0x9c40, 0x9c40, 20, 0x80 | 15)}));
  // Past the frame the integer is 0.
  EXPECT_TRUE(matches({int_range(0, 0, 60000, 63)}));
  EXPECT_TRUE(matches({int_range(0, 0, 60000, 0x80 | 63)}));
  // 1.14 keeps end - start as 32 bits: a range wider than 2^32 wraps.
  EXPECT_FALSE(matches({int_range(0, 0x100000000ULL, 12, 15)}));  // becomes [0, 0]
}

// ---------------------------------------------------------------------------------------------
// Tags (Network.cpp:458-556).

TEST_F(fixture, TagPairMatchesWithBothTags) {
  local_tags = {{1, 10}, {7, 0x0f}};
  remote_tags = {{1, 13}, {7, 0x3c}};
  EXPECT_TRUE(matches({tag(rule_type::match_tags_difference, 1, 3)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_difference, 1, 2)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_bitwise_and, 7, 0x0c)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_bitwise_and, 7, 0x0f)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_bitwise_or, 7, 0x3f)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_bitwise_or, 7, 0x3c)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_bitwise_xor, 7, 0x33)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_bitwise_xor, 7, 0)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_equal, 1, 10)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_equal, 1, 10, true)}));
  remote_tags = {{1, 10}};
  EXPECT_TRUE(matches({tag(rule_type::match_tags_equal, 1, 10)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_equal, 1, 10)}, true));
}

TEST_F(fixture, TagPairWithoutOurTagIsAHardNo) {
  remote_tags = {{1, 10}};
  EXPECT_FALSE(matches({tag(rule_type::match_tags_equal, 1, 10)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_equal, 1, 10, true)}));
}

TEST_F(fixture, TagPairWithoutThePeersTag) {
  local_tags = {{1, 10}};
  // Inbound: strict (hard no).
  EXPECT_FALSE(matches({tag(rule_type::match_tags_equal, 1, 10)}, true));
  EXPECT_FALSE(matches({tag(rule_type::match_tags_equal, 1, 10, true)}, true));
  // Outbound: lenient (hard yes), and the next DROP taken is skipped once.
  EXPECT_TRUE(matches({tag(rule_type::match_tags_equal, 1, 99)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tags_equal, 1, 99, true)}));
  const std::vector<rule> r{tag(rule_type::match_tags_difference, 1, 0), drop(), drop(), accept()};
  auto p = eval(r);
  EXPECT_EQ(p.verdict, rules_verdict::drop);
  EXPECT_EQ(p.rule_index, 2u);  // the first DROP was skipped
  EXPECT_EQ(eval({tag(rule_type::match_tags_difference, 1, 0), drop(), accept()}).verdict,
            rules_verdict::accept);
  // The skip waits for a DROP that is taken: a false set's DROP does not use it up.
  EXPECT_EQ(eval({tag(rule_type::match_tags_difference, 1, 0), ethertype(0x0806), drop(), drop(),
                  accept()})
                .verdict,
            rules_verdict::accept);
}

TEST_F(fixture, TagSenderAndReceiver) {
  local_tags = {{5, 100}};
  remote_tags = {{5, 200}};
  // Outbound: sender = us, receiver = the peer.
  EXPECT_TRUE(matches({tag(rule_type::match_tag_sender, 5, 100)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tag_sender, 5, 200)}));
  EXPECT_TRUE(matches({tag(rule_type::match_tag_receiver, 5, 200)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tag_receiver, 5, 100)}));
  // Inbound: sender = the peer, receiver = us.
  EXPECT_TRUE(matches({tag(rule_type::match_tag_sender, 5, 200)}, true));
  EXPECT_TRUE(matches({tag(rule_type::match_tag_receiver, 5, 100)}, true));
  EXPECT_FALSE(matches({tag(rule_type::match_tag_receiver, 5, 200)}, true));
  EXPECT_TRUE(matches({tag(rule_type::match_tag_receiver, 5, 200, true)}, true));
  // Unknown peer tag: inbound sender is a hard no, outbound receiver a lenient yes.
  remote_tags.clear();
  EXPECT_FALSE(matches({tag(rule_type::match_tag_sender, 5, 200, true)}, true));
  EXPECT_TRUE(matches({tag(rule_type::match_tag_receiver, 5, 1, true)}));
  EXPECT_EQ(eval({tag(rule_type::match_tag_receiver, 5, 1), drop(), accept()}).verdict,
            rules_verdict::accept);
  // Our own tag missing: hard no.
  local_tags.clear();
  EXPECT_FALSE(matches({tag(rule_type::match_tag_sender, 5, 100, true)}));
  EXPECT_FALSE(matches({tag(rule_type::match_tag_receiver, 5, 100, true)}, true));
}

TEST_F(fixture, TagListsFromCredentials) {
  std::vector<wire::tag_credential> t(3);
  t[0].id = 9, t[0].value = 1;
  t[1].id = 2, t[1].value = 2;
  t[2].id = 9, t[2].value = 3;
  const auto tags = rule_tags_of(t);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0], (rule_tag{2, 2}));
  EXPECT_EQ(tags[1], (rule_tag{9, 1}));  // stable: the first of a duplicate id wins lookups
  local_tags = tags;
  EXPECT_TRUE(matches({tag(rule_type::match_tag_sender, 9, 1)}));
}

// ---------------------------------------------------------------------------------------------
// Actions (Network.cpp:130-218) and the filter functions (Network.cpp:690-931).

TEST_F(fixture, TeeCopiesAndGoesOn) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  auto p = eval({fwd(rule_type::action_tee, other, 16, 0xabcd), accept()});
  EXPECT_EQ(p.verdict, rules_verdict::accept);
  EXPECT_EQ(p.copy_to, other);
  EXPECT_EQ(p.copy_length, 16u);
  EXPECT_FALSE(p.copy_watch);
  EXPECT_EQ(p.copy_rule_flags, 0xabcdu);
  // Length 0 or beyond the frame: the whole payload.
  EXPECT_EQ(eval({fwd(rule_type::action_tee, other, 0)}).copy_length, n);
  EXPECT_EQ(eval({fwd(rule_type::action_tee, other, 9000)}).copy_length, n);
  auto r = out({fwd(rule_type::action_tee, other, 16), accept()});
  EXPECT_EQ(r.action, filter_action::accept);
  ASSERT_EQ(r.copy_count, 1u);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x02, 16}));
  r = in({fwd(rule_type::action_tee, other), accept()});
  ASSERT_EQ(r.copy_count, 1u);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x08, n}));
  // no_tee suppresses it; a dropped frame is not copied either.
  EXPECT_EQ(out({fwd(rule_type::action_tee, other), accept()}, {}, true).copy_count, 0u);
  EXPECT_EQ(out({fwd(rule_type::action_tee, other), drop()}).copy_count, 0u);
  // The TEE does not reset the set: the AND after it still counts.
  EXPECT_EQ(eval({ethertype(0x0800), fwd(rule_type::action_tee, other), ethertype(0x0806), accept()})
                .verdict,
            rules_verdict::no_match);
}

TEST_F(fixture, WatchIsATeeWithAnotherFlag) {
  auto p = eval({fwd(rule_type::action_watch, other, 64), accept()});
  EXPECT_TRUE(p.copy_watch);
  EXPECT_EQ(out({fwd(rule_type::action_watch, other, 64), accept()}).copies[0].ext_frame_flags, 0x16);
  EXPECT_EQ(in({fwd(rule_type::action_watch, other, 64), accept()}).copies[0].ext_frame_flags, 0x1c);
}

TEST_F(fixture, TeeToSourceOrDestIsANoOp) {
  EXPECT_EQ(eval({fwd(rule_type::action_tee, us), accept()}).copy_to.value(), 0u);
  EXPECT_EQ(eval({fwd(rule_type::action_tee, peer), accept()}).copy_to.value(), 0u);
  EXPECT_EQ(eval({fwd(rule_type::action_redirect, peer), accept()}).verdict, rules_verdict::accept);
  // A 64-bit address field is cut to 40 bits.
  EXPECT_EQ(eval({mk(rule_type::action_tee, cat({be(0xff00000000000000ULL | peer.value(), 8),
                                                  be(0, 6)})),
                  accept()})
                .copy_to.value(),
            0u);
}

TEST_F(fixture, RedirectSendsElsewhereAndDropsLocally) {
  auto p = eval({fwd(rule_type::action_redirect, other), accept()});
  EXPECT_EQ(p.verdict, rules_verdict::redirect);
  EXPECT_EQ(p.dest, other);
  const auto n = static_cast<std::uint32_t>(payload.size());
  auto r = out({fwd(rule_type::action_redirect, other)});
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.action, filter_action::drop);
  ASSERT_EQ(r.copy_count, 1u);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x04, n}));
  r = in({fwd(rule_type::action_redirect, other)});
  EXPECT_EQ(r.action, filter_action::drop);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x0a, n}));
  // Redirect to address 0: accepted as is (1.14 sends nothing and delivers).
  r = out({fwd(rule_type::action_redirect, zt_address{})});
  EXPECT_EQ(r.action, filter_action::accept);
  EXPECT_EQ(r.copy_count, 0u);
}

TEST_F(fixture, TeeOrRedirectToUsSuperAcceptsInbound) {
  EXPECT_EQ(in({fwd(rule_type::action_redirect, us)}).action, filter_action::super_accept);
  EXPECT_EQ(in({fwd(rule_type::action_tee, us)}).action, filter_action::super_accept);
  // Outbound the source is us: a no-op, the frame falls through and is dropped.
  EXPECT_EQ(out({fwd(rule_type::action_tee, us)}).action, filter_action::drop);
  // Inbound from peer to another member (we are a TEE target elsewhere): not from us.
  rules_frame f = frame(true);
  f.dest = other;
  EXPECT_EQ(evaluate_rules(std::vector<rule>{fwd(rule_type::action_tee, us)}, f, ctx()).verdict,
            rules_verdict::super_accept);
}

TEST_F(fixture, UnmatchedTeeToUsMakesALaterAcceptSuper) {
  // Network.cpp:200-215: a TEE to us in a set that did not match, then an ACCEPT.
  const std::vector<rule> r{ethertype(0x0806), fwd(rule_type::action_tee, us), accept()};
  EXPECT_EQ(eval(r, true).verdict, rules_verdict::super_accept);
  EXPECT_EQ(in(r).action, filter_action::super_accept);
  EXPECT_EQ(eval(r, false).verdict, rules_verdict::accept);
  // ... and makes inbound tag matches lenient.
  local_tags = {{1, 1}};
  const std::vector<rule> t{ethertype(0x0806), fwd(rule_type::action_tee, us),
                            tag(rule_type::match_tags_equal, 1, 1), drop(), accept()};
  EXPECT_EQ(eval(t, true).verdict, rules_verdict::super_accept);
  const std::vector<rule> s{ethertype(0x0806), fwd(rule_type::action_tee, us),
                            tag(rule_type::match_tag_sender, 1, 7), drop(), accept()};
  EXPECT_EQ(eval(s, true).verdict, rules_verdict::super_accept);
}

TEST_F(fixture, BreakEndsTheListWithoutAVerdict) {
  auto p = eval({ethertype(0x0800), brk(), accept()});
  EXPECT_EQ(p.verdict, rules_verdict::no_match);
  EXPECT_EQ(p.rule_index, 1u);
  EXPECT_EQ(out({ethertype(0x0800), brk(), accept()}).action, filter_action::drop);
  // A BREAK whose set did not match is passed.
  EXPECT_EQ(eval({ethertype(0x0806), brk(), accept()}).verdict, rules_verdict::accept);
  // After a BREAK, capabilities are consulted.
  auto r = out({brk()}, {cap(3, {accept()})});
  EXPECT_EQ(r.action, filter_action::accept);
  EXPECT_EQ(r.capability, std::optional<std::size_t>(0));
}

TEST_F(fixture, PriorityAcceptsWithABucket) {
  auto p = eval({mk(rule_type::action_priority, {7})});
  EXPECT_EQ(p.verdict, rules_verdict::accept);
  EXPECT_EQ(p.qos_bucket, std::optional<std::uint8_t>(7));
  EXPECT_EQ(eval({mk(rule_type::action_priority, {9})}).qos_bucket, std::optional<std::uint8_t>(4));
  // As 1.14 encodes it (no field): bucket 0.
  EXPECT_EQ(eval({rule::action(rule_type::action_priority)}).qos_bucket,
            std::optional<std::uint8_t>(0));
  auto r = out({ethertype(0x0800), mk(rule_type::action_priority, {2})});
  EXPECT_EQ(r.action, filter_action::accept);
  EXPECT_EQ(r.qos_bucket, std::optional<std::uint8_t>(2));
  EXPECT_FALSE(out({accept()}).qos_bucket.has_value());
}

TEST_F(fixture, CapabilitiesAreTriedWhenBaseRulesFallThrough) {
  const std::vector<rule> base{ethertype(0x86dd), accept()};
  const std::vector<wire::capability_credential> caps{
      cap(1, {ethertype(0x0806), accept()}),                    // does not match
      cap(2, {ethertype(0x0800), drop()}),                      // DROP only ends this one
      cap(3, {rule::port_range(rule_type::match_ip_dest_port_range, 80, 80),
              fwd(rule_type::action_tee, other, 20), accept()}),  // accepts with a TEE
      cap(4, {accept()})};
  auto r = out(base, caps);
  EXPECT_EQ(r.action, filter_action::accept);
  EXPECT_EQ(r.base_verdict, rules_verdict::no_match);
  EXPECT_EQ(r.capability, std::optional<std::size_t>(2));
  ASSERT_EQ(r.copy_count, 1u);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x02, 20}));
  r = in(base, caps);
  EXPECT_EQ(r.action, filter_action::accept);
  EXPECT_EQ(r.copies[0], (rules_copy{other, 0x08, 20}));
  // Nothing accepts: drop.
  EXPECT_EQ(out(base, {caps[0], caps[1]}).action, filter_action::drop);
}

TEST_F(fixture, ExplicitBaseDropIsFinal) {
  auto r = out({drop()}, {cap(1, {accept()})});
  EXPECT_EQ(r.action, filter_action::drop);
  EXPECT_EQ(r.base_verdict, rules_verdict::drop);
  EXPECT_FALSE(r.capability.has_value());
  EXPECT_EQ(in({drop()}, {cap(1, {accept()})}).action, filter_action::drop);
}

TEST_F(fixture, CapabilitySuperAccept) {
  // A capability presented by the sender whose TEE targets us: super-accept inbound
  // (Network.cpp:856), plain accept outbound (Network.cpp:730).
  const std::vector<wire::capability_credential> caps{cap(1, {fwd(rule_type::action_tee, us)})};
  EXPECT_EQ(in({}, caps).action, filter_action::super_accept);
  const std::vector<wire::capability_credential> caps2{
      cap(1, {ethertype(0x0806), fwd(rule_type::action_redirect, us), accept()})};
  EXPECT_EQ(in({}, caps2).action, filter_action::super_accept);
  EXPECT_EQ(out({}, caps2).action, filter_action::accept);
}

TEST_F(fixture, BaseTeeAndCapabilityCopiesAndRedirectOrder) {
  // The base rules TEE then fall through; a capability TEEs and redirects.
  const std::vector<rule> base{fwd(rule_type::action_tee, other, 10)};
  const std::vector<wire::capability_credential> caps{
      cap(1, {fwd(rule_type::action_watch, fourth, 12), fwd(rule_type::action_redirect, zt_address{0x5555555555})})};
  auto r = out(base, caps);
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.action, filter_action::drop);  // redirected
  ASSERT_EQ(r.copy_count, 3u);
  // The capability's WATCH (taken before its REDIRECT), the base TEE, then the redirect.
  EXPECT_EQ(r.copies[0], (rules_copy{fourth, 0x16, 12}));
  EXPECT_EQ(r.copies[1], (rules_copy{other, 0x02, 10}));
  EXPECT_EQ(r.copies[2].to, zt_address{0x5555555555});
  EXPECT_EQ(r.copies[2].ext_frame_flags, 0x04);
  // no_tee keeps only the redirect.
  r = out(base, caps, true);
  ASSERT_EQ(r.copy_count, 1u);
  EXPECT_EQ(r.copies[0].ext_frame_flags, 0x04);
}

TEST_F(fixture, RulesFromTheWire) {
  // Central's default rule set as 1.14 serializes it (netconf `R`), parsed and evaluated.
  const bytes wire_rules{0xa5, 2, 0x08, 0x00, 0xa5, 2, 0x08, 0x06, 0xa5, 2, 0x86, 0xdd, 0x00, 0, 0x01, 0};
  wire::reader rd(wire_rules);
  auto parsed = wire::parse_rules(rd, 1024);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(filter_outgoing(*parsed, {}, frame(false), ctx()).action, filter_action::accept);
  et = 0x8100;
  EXPECT_EQ(filter_incoming(*parsed, {}, frame(true), ctx()).action, filter_action::drop);
}

}  // namespace
}  // namespace ztkit::ctrl
