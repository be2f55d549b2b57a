// IPv4 headers (RFC 791 §3.1). new_checked proves: version 4, IHL >= 5, the header (with its
// options) and `total length` bytes are all present, total length >= header length. Trailing
// bytes past total length (Ethernet padding) are outside payload(). Options are not
// interpreted: they are skipped as a block of (IHL - 5) * 4 bytes, which is always safe since
// IHL bounds them. The header checksum is checked separately (verify_checksum).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

class ipv4_packet {
 public:
  static constexpr std::size_t min_header_len = 20;

  static std::optional<ipv4_packet> new_checked(std::span<const std::uint8_t> b);

  std::uint8_t version() const { return b_[0] >> 4; }
  std::size_t header_len() const { return std::size_t{b_[0] & 0x0fu} * 4; }
  std::uint8_t dscp_ecn() const { return b_[1]; }
  std::uint16_t total_len() const { return ztkit::wire::load_be16(b_.data() + 2); }
  std::uint16_t ident() const { return ztkit::wire::load_be16(b_.data() + 4); }
  bool dont_fragment() const { return (b_[6] & 0x40) != 0; }
  bool more_fragments() const { return (b_[6] & 0x20) != 0; }
  // The fragment offset in bytes (the field counts 8-byte units).
  std::uint32_t frag_offset() const {
    return std::uint32_t{ztkit::wire::load_be16(b_.data() + 6) & 0x1fffu} * 8;
  }
  bool is_fragment() const { return more_fragments() || frag_offset() != 0; }
  std::uint8_t ttl() const { return b_[8]; }
  std::uint8_t protocol() const { return b_[9]; }
  std::uint16_t checksum() const { return ztkit::wire::load_be16(b_.data() + 10); }
  ipv4_address src() const { return ipv4_address::from_bytes(b_.data() + 12); }
  ipv4_address dst() const { return ipv4_address::from_bytes(b_.data() + 16); }
  std::span<const std::uint8_t> options() const {
    return b_.subspan(min_header_len, header_len() - min_header_len);
  }
  std::span<const std::uint8_t> header() const { return b_.first(header_len()); }
  std::span<const std::uint8_t> payload() const {
    return b_.subspan(header_len(), total_len() - header_len());
  }
  // The whole datagram, header through total length.
  std::span<const std::uint8_t> datagram() const { return b_.first(total_len()); }
  bool verify_checksum() const;

 private:
  explicit ipv4_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

// A header without options (we never send options).
struct ipv4_repr {
  ipv4_address src;
  ipv4_address dst;
  std::uint8_t protocol = 0;
  std::uint16_t payload_len = 0;
  std::uint8_t ttl = 64;
  std::uint16_t ident = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint32_t frag_offset = 0;  // bytes, a multiple of 8

  // Rejects a bad checksum.
  static std::optional<ipv4_repr> parse(const ipv4_packet& p);
  static constexpr std::size_t buffer_len() { return ipv4_packet::min_header_len; }
  // Writes the 20-byte header with its checksum.
  void emit(std::span<std::uint8_t> out) const;

  bool operator==(const ipv4_repr&) const = default;
};

}  // namespace ztkit::netstack::wire
