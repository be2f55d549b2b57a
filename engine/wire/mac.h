// Ethernet MACs on a ZeroTier network and the identifiers derived from them
// (ZeroTierOne 1.14 node/MAC.hpp, node/MulticastGroup.hpp, InetAddress::makeIpv6rfc4193 /
// makeIpv66plane; zerotier-protocol.md §6.1, §6.4; mac_multicast.json).
//
//   MAC(address, nwid): octet 0 = (nwid & 0xfe) | 0x02, except 0x52 becomes 0x32 (0x52 is a
//   VirtualBox prefix); octets 1..5 = the 40-bit address XOR nwid bytes 5,4,3,2,1, i.e. octet 1
//   ^= (nwid >> 8) & 0xff ... octet 5 ^= (nwid >> 40) & 0xff.
//   A multicast group is a MAC plus a 32-bit "additional distinguishing information" (ADI):
//   ARP uses (ff:ff:ff:ff:ff:ff, IPv4 as BE u32), NDP uses (33:33:ff + last 3 IPv6 bytes, 0).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/zt_address.h"
#include "engine/wire/bytes.h"
#include "engine/wire/inet_address.h"

namespace ztkit::wire {

struct mac_address {
  static constexpr std::size_t wire_bytes = 6;

  std::array<std::uint8_t, 6> bytes{};

  static mac_address from_u64(std::uint64_t v);  // low 48 bits, big-endian
  std::uint64_t to_u64() const;
  static constexpr mac_address broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }

  bool is_zero() const { return to_u64() == 0; }
  bool is_broadcast() const { return to_u64() == 0xffffffffffffULL; }
  // The I/G bit: group (multicast or broadcast) address.
  bool is_multicast() const { return (bytes[0] & 0x01) != 0; }

  // Six bytes; a short reader fails.
  static mac_address parse(reader& r);
  void emit(writer& w) const { w.bytes(bytes); }
  static constexpr std::size_t buffer_len() { return wire_bytes; }

  std::string to_string() const;  // "02:3d:55:9d:fe:9c"
  // "02:3d:55:9d:fe:9c" (either case, ':' or '-') or 12 bare hex digits.
  static std::optional<mac_address> from_string(std::string_view s);

  auto operator<=>(const mac_address&) const = default;
};

// The first MAC octet every member of network `nwid` uses.
std::uint8_t network_mac_first_octet(std::uint64_t nwid);

// MAC(address, nwid) (MAC::fromAddress).
mac_address mac_from_address(zt_address address, std::uint64_t nwid);

// The inverse XOR (MAC::toAddress); meaningful only for member MACs.
zt_address address_from_mac(const mac_address& mac, std::uint64_t nwid);

// The ZeroTier address behind a unicast destination MAC if it is a member MAC of `nwid`
// (first octet equals the network's first octet); nullopt means a bridged destination.
std::optional<zt_address> member_address(const mac_address& mac, std::uint64_t nwid);

// IPv6 link-local address from a MAC (EUI-64: flip bit 0x02 of octet 0, insert ff:fe), /64.
inet_address ipv6_link_local(const mac_address& mac);

// RFC4193 managed address: fd + nwid (8) + 99 93 + address (5), prefix /88 (in `port`).
inet_address rfc4193_address(std::uint64_t nwid, zt_address address);

// 6PLANE: fc + low 32 bits of (nwid ^ nwid >> 32) + address (5) + 00 00 00 00 00 01, /40.
inet_address sixplane_address(std::uint64_t nwid, zt_address address);

struct multicast_group {
  static constexpr std::size_t wire_bytes = 10;

  mac_address mac;
  std::uint32_t adi = 0;

  static multicast_group broadcast() { return {mac_address::broadcast(), 0}; }
  // Group an ARP request for `ipv4` is sent to: broadcast MAC, ADI = IPv4 as BE u32.
  static multicast_group for_arp(const std::array<std::uint8_t, 4>& ipv4);
  // IPv6 solicited-node group used by NDP: 33:33:ff + last 3 bytes, ADI 0.
  static multicast_group for_ndp(const std::array<std::uint8_t, 16>& ipv6);
  // MulticastGroup::deriveMulticastGroupForAddressResolution: ARP group for IPv4, NDP group
  // for IPv6, nullopt for nil.
  static std::optional<multicast_group> for_address_resolution(const inet_address& ip);

  // [6 MAC][4 ADI]
  static multicast_group parse(reader& r);
  void emit(writer& w) const;
  static constexpr std::size_t buffer_len() { return wire_bytes; }

  std::string to_string() const;  // "ff:ff:ff:ff:ff:ff/0a931137"

  auto operator<=>(const multicast_group&) const = default;
};

}  // namespace ztkit::wire
