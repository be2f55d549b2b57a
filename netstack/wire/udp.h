// UDP (RFC 768): [2 src port][2 dst port][2 length][2 checksum][payload]. new_checked proves
// 8 <= length <= bytes present; bytes past `length` are ignored. The checksum covers a
// pseudo-header: over IPv4 a zero checksum means "none computed" (RFC 768); over IPv6 it is
// mandatory and zero is invalid (RFC 8200 §8.1). A computed zero is sent as 0xffff.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

class udp_packet {
 public:
  static constexpr std::size_t header_len = 8;

  static std::optional<udp_packet> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < header_len) return std::nullopt;
    std::size_t l = ztkit::wire::load_be16(b.data() + 4);
    if (l < header_len || l > b.size()) return std::nullopt;
    return udp_packet(b.first(l));
  }
  std::uint16_t src_port() const { return ztkit::wire::load_be16(b_.data()); }
  std::uint16_t dst_port() const { return ztkit::wire::load_be16(b_.data() + 2); }
  std::uint16_t length() const { return ztkit::wire::load_be16(b_.data() + 4); }
  std::uint16_t checksum() const { return ztkit::wire::load_be16(b_.data() + 6); }
  std::span<const std::uint8_t> payload() const { return b_.subspan(header_len); }
  std::span<const std::uint8_t> bytes() const { return b_; }

  bool verify_checksum(const ipv4_address& src, const ipv4_address& dst) const;
  bool verify_checksum(const ipv6_address& src, const ipv6_address& dst) const;

 private:
  explicit udp_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

struct udp_repr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;

  // Checksum verified against the pseudo-header.
  template <typename Addr>
  static std::optional<udp_repr> parse(const udp_packet& p, const Addr& src, const Addr& dst) {
    if (!p.verify_checksum(src, dst)) return std::nullopt;
    return udp_repr{p.src_port(), p.dst_port()};
  }
  static constexpr std::size_t header_len() { return udp_packet::header_len; }

  // The 8-byte header, checksum included, for `payload` (which need not follow the header in
  // memory: a fragmenting sender computes the header first).
  void emit_header(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                   const ipv4_address& src, const ipv4_address& dst) const;
  void emit_header(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                   const ipv6_address& src, const ipv6_address& dst) const;

  bool operator==(const udp_repr&) const = default;
};

}  // namespace ztkit::netstack::wire
