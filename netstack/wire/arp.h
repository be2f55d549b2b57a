// ARP for IPv4 over Ethernet (RFC 826): [2 htype=1][2 ptype=0x0800][1 hlen=6][1 plen=4][2 op]
// [6 sha][4 spa][6 tha][4 tpa]. Anything else (other hardware or protocol types) is rejected
// by new_checked: it is not ours to answer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

class arp_packet {
 public:
  static constexpr std::size_t len = 28;

  static std::optional<arp_packet> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < len) return std::nullopt;
    using ztkit::wire::load_be16;
    if (load_be16(b.data()) != 1 || load_be16(b.data() + 2) != 0x0800 || b[4] != 6 || b[5] != 4)
      return std::nullopt;
    return arp_packet(b);
  }

  std::uint16_t operation() const { return ztkit::wire::load_be16(b_.data() + 6); }
  mac_address sender_hw() const { return mac_at(8); }
  ipv4_address sender_ip() const { return ipv4_address::from_bytes(b_.data() + 14); }
  mac_address target_hw() const { return mac_at(18); }
  ipv4_address target_ip() const { return ipv4_address::from_bytes(b_.data() + 24); }

 private:
  explicit arp_packet(std::span<const std::uint8_t> b) : b_(b) {}
  mac_address mac_at(std::size_t off) const {
    mac_address m;
    for (std::size_t i = 0; i < 6; ++i) m.bytes[i] = b_[off + i];
    return m;
  }
  std::span<const std::uint8_t> b_;
};

struct arp_repr {
  enum : std::uint16_t { request = 1, reply = 2 };

  std::uint16_t operation = request;
  mac_address sender_hw;
  ipv4_address sender_ip;
  mac_address target_hw;
  ipv4_address target_ip;

  // Only requests and replies parse.
  static std::optional<arp_repr> parse(const arp_packet& p);
  static constexpr std::size_t buffer_len() { return arp_packet::len; }
  void emit(std::span<std::uint8_t> out) const;

  bool operator==(const arp_repr&) const = default;
};

}  // namespace ztkit::netstack::wire
