// IPv4 and IPv6 addresses as plain values, with the few predicates the stack needs (RFC 1122
// §3.2.1.3 special addresses, RFC 4291 §2.4 address types). No parsing of text: the engine's
// inet_address does that; these convert to and from it.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>

#include "engine/wire/inet_address.h"
#include "engine/wire/mac.h"

namespace ztkit::netstack::wire {

using ztkit::wire::inet_address;
using ztkit::wire::mac_address;

struct ipv4_address {
  std::array<std::uint8_t, 4> b{};

  static constexpr ipv4_address from_u32(std::uint32_t v) {
    return {{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
  }
  constexpr std::uint32_t to_u32() const {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           b[3];
  }
  static ipv4_address from_bytes(const std::uint8_t* p) {
    ipv4_address a;
    std::memcpy(a.b.data(), p, 4);
    return a;
  }
  static constexpr ipv4_address broadcast() { return from_u32(0xffffffffu); }
  bool is_unspecified() const { return to_u32() == 0; }
  bool is_broadcast() const { return to_u32() == 0xffffffffu; }
  bool is_multicast() const { return (b[0] & 0xf0) == 0xe0; }
  bool is_loopback() const { return b[0] == 127; }
  // True if this and `o` share the first `prefix` bits.
  bool same_prefix(const ipv4_address& o, unsigned prefix) const {
    if (prefix == 0) return true;
    if (prefix > 32) prefix = 32;
    std::uint32_t mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    return (to_u32() & mask) == (o.to_u32() & mask);
  }
  // The directed broadcast address of this address's /prefix subnet.
  ipv4_address subnet_broadcast(unsigned prefix) const {
    if (prefix >= 32) return *this;
    return from_u32(to_u32() | (0xffffffffu >> prefix));
  }
  // The Ethernet MAC an IPv4 multicast maps to (RFC 1112 §6.4).
  mac_address multicast_mac() const {
    return {{0x01, 0x00, 0x5e, static_cast<std::uint8_t>(b[1] & 0x7f), b[2], b[3]}};
  }
  inet_address to_inet(std::uint16_t port = 0) const { return inet_address::v4(b, port); }
  static ipv4_address from_inet(const inet_address& a) { return from_bytes(a.ip.data()); }

  auto operator<=>(const ipv4_address&) const = default;
};

struct ipv6_address {
  std::array<std::uint8_t, 16> b{};

  static ipv6_address from_bytes(const std::uint8_t* p) {
    ipv6_address a;
    std::memcpy(a.b.data(), p, 16);
    return a;
  }
  // ff02::1, all nodes on the link.
  static ipv6_address all_nodes() {
    ipv6_address a;
    a.b[0] = 0xff;
    a.b[1] = 0x02;
    a.b[15] = 1;
    return a;
  }
  // ff02::2, all routers on the link.
  static ipv6_address all_routers() {
    ipv6_address a = all_nodes();
    a.b[15] = 2;
    return a;
  }
  bool is_unspecified() const {
    for (auto x : b)
      if (x) return false;
    return true;
  }
  bool is_multicast() const { return b[0] == 0xff; }
  bool is_link_local() const { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
  // The solicited-node multicast group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1).
  ipv6_address solicited_node() const {
    ipv6_address a;
    a.b[0] = 0xff;
    a.b[1] = 0x02;
    a.b[11] = 0x01;
    a.b[12] = 0xff;
    a.b[13] = b[13];
    a.b[14] = b[14];
    a.b[15] = b[15];
    return a;
  }
  bool is_solicited_node_of(const ipv6_address& unicast) const {
    return *this == unicast.solicited_node();
  }
  bool same_prefix(const ipv6_address& o, unsigned prefix) const {
    if (prefix > 128) prefix = 128;
    unsigned full = prefix / 8, rem = prefix % 8;
    if (std::memcmp(b.data(), o.b.data(), full) != 0) return false;
    if (rem == 0) return true;
    std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rem));
    return (b[full] & mask) == (o.b[full] & mask);
  }
  // The Ethernet MAC an IPv6 multicast maps to: 33:33 + last 4 bytes (RFC 2464 §7).
  mac_address multicast_mac() const { return {{0x33, 0x33, b[12], b[13], b[14], b[15]}}; }
  inet_address to_inet(std::uint16_t port = 0) const { return inet_address::v6(b, port); }
  static ipv6_address from_inet(const inet_address& a) { return from_bytes(a.ip.data()); }

  auto operator<=>(const ipv6_address&) const = default;
};

// IP protocol numbers (IANA) the stack knows.
namespace ip_protocol {
inline constexpr std::uint8_t hop_by_hop = 0;
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t ipv6_route = 43;
inline constexpr std::uint8_t ipv6_frag = 44;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t ipv6_no_next = 59;
inline constexpr std::uint8_t ipv6_opts = 60;
}  // namespace ip_protocol

}  // namespace ztkit::netstack::wire
