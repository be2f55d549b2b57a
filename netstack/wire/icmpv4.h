// ICMP for IPv4 (RFC 792): [1 type][1 code][2 checksum][4 rest][data]. The checksum covers the
// whole message. Understood: echo request/reply (8/0: rest = ident, sequence) and destination
// unreachable (3: rest unused, data = the offending IP header + leading payload bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"

namespace ztkit::netstack::wire {

class icmpv4_packet {
 public:
  static constexpr std::size_t header_len = 8;

  static std::optional<icmpv4_packet> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < header_len) return std::nullopt;
    return icmpv4_packet(b);
  }
  std::uint8_t type() const { return b_[0]; }
  std::uint8_t code() const { return b_[1]; }
  std::uint16_t checksum() const { return ztkit::wire::load_be16(b_.data() + 2); }
  std::uint16_t echo_ident() const { return ztkit::wire::load_be16(b_.data() + 4); }
  std::uint16_t echo_seq() const { return ztkit::wire::load_be16(b_.data() + 6); }
  std::span<const std::uint8_t> data() const { return b_.subspan(header_len); }
  bool verify_checksum() const;

 private:
  explicit icmpv4_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

struct icmpv4_repr {
  enum : std::uint8_t { echo_reply = 0, dst_unreachable = 3, echo_request = 8 };
  // Destination unreachable codes (RFC 792, RFC 1191).
  enum : std::uint8_t { code_net = 0, code_host = 1, code_protocol = 2, code_port = 3,
                        code_frag_needed = 4 };

  std::uint8_t type = echo_request;
  std::uint8_t code = 0;
  std::uint16_t ident = 0;  // echo only
  std::uint16_t seq = 0;    // echo only
  std::span<const std::uint8_t> data;  // echo data, or the quoted datagram

  // Verifies the checksum; only the three types above parse.
  static std::optional<icmpv4_repr> parse(const icmpv4_packet& p);
  std::size_t buffer_len() const { return icmpv4_packet::header_len + data.size(); }
  // Writes header and data (data may alias out's data area) and the checksum.
  void emit(std::span<std::uint8_t> out) const;
};

}  // namespace ztkit::netstack::wire
