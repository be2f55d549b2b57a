// IPv6 headers (RFC 8200 §3) and the extension-header chain (§4).
//
// new_checked proves: version 6, 40 bytes of header and `payload length` bytes after it.
// walk_extension_headers follows the chain from the fixed header to the upper-layer header:
// hop-by-hop (only directly after the fixed header, §4.1), destination options, routing and
// fragment headers are stepped over by their own length fields, each checked against what is
// left, and at most `max_ext_headers` of them, so a chain can neither overrun nor loop. Option
// contents are not interpreted (we act as a host that ignores them; unknown options whose type
// asks for an ICMP error are treated as skippable). A routing header with segments left != 0 is
// rejected: we are not a router (§4.4). The fragment header's fields are returned.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

class ipv6_packet {
 public:
  static constexpr std::size_t header_len = 40;

  static std::optional<ipv6_packet> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < header_len || (b[0] >> 4) != 6) return std::nullopt;
    if (header_len + ztkit::wire::load_be16(b.data() + 4) > b.size()) return std::nullopt;
    return ipv6_packet(b);
  }

  std::uint8_t traffic_class() const {
    return static_cast<std::uint8_t>((b_[0] << 4) | (b_[1] >> 4));
  }
  std::uint32_t flow_label() const { return ztkit::wire::load_be32(b_.data()) & 0xfffffu; }
  std::uint16_t payload_len() const { return ztkit::wire::load_be16(b_.data() + 4); }
  std::uint8_t next_header() const { return b_[6]; }
  std::uint8_t hop_limit() const { return b_[7]; }
  ipv6_address src() const { return ipv6_address::from_bytes(b_.data() + 8); }
  ipv6_address dst() const { return ipv6_address::from_bytes(b_.data() + 24); }
  std::span<const std::uint8_t> payload() const { return b_.subspan(header_len, payload_len()); }
  // Header plus payload, without link-layer padding.
  std::span<const std::uint8_t> datagram() const { return b_.first(header_len + payload_len()); }

 private:
  explicit ipv6_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

struct ipv6_repr {
  ipv6_address src;
  ipv6_address dst;
  std::uint8_t next_header = 0;
  std::uint16_t payload_len = 0;
  std::uint8_t hop_limit = 64;

  static ipv6_repr parse(const ipv6_packet& p) {
    return {p.src(), p.dst(), p.next_header(), p.payload_len(), p.hop_limit()};
  }
  static constexpr std::size_t buffer_len() { return ipv6_packet::header_len; }
  void emit(std::span<std::uint8_t> out) const;

  bool operator==(const ipv6_repr&) const = default;
};

// The fragment extension header (RFC 8200 §4.5): [1 next][1 reserved][2 offset<<3 | M][4 id].
struct ipv6_fragment_repr {
  static constexpr std::size_t len = 8;
  std::uint8_t next_header = 0;
  std::uint32_t frag_offset = 0;  // bytes, a multiple of 8
  bool more_fragments = false;
  std::uint32_t ident = 0;

  static std::optional<ipv6_fragment_repr> parse(std::span<const std::uint8_t> b);
  static constexpr std::size_t buffer_len() { return len; }
  void emit(std::span<std::uint8_t> out) const;
  bool operator==(const ipv6_fragment_repr&) const = default;
};

struct ipv6_chain {
  std::uint8_t upper_protocol = 0;  // next header value of the upper layer (59 = no next)
  std::size_t upper_offset = 0;     // offset of the upper-layer header within payload()
  // Where the fragment header sits, if any: what precedes it is the "unfragmentable part".
  std::optional<ipv6_fragment_repr> fragment;
  std::size_t fragment_offset = 0;  // offset of the fragment header within payload()
};

inline constexpr unsigned max_ext_headers = 8;

// nullopt: truncated or malformed chain, too many headers, misplaced hop-by-hop, or a routing
// header still to be processed. The walk stops at a fragment header: what follows belongs to
// the reassembled datagram.
std::optional<ipv6_chain> walk_extension_headers(const ipv6_packet& p);
// The same walk over a payload whose first header is `first` (a reassembled datagram).
std::optional<ipv6_chain> walk_extension_headers(std::uint8_t first,
                                                 std::span<const std::uint8_t> payload,
                                                 bool allow_hop_by_hop);

}  // namespace ztkit::netstack::wire
