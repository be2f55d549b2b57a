// ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861). [1 type][1 code][2 checksum][body]; the
// checksum covers an IPv6 pseudo-header (next header 58), so parse/emit take the addresses.
//
// Bodies understood:
//   1 destination unreachable / 2 packet too big / 3 time exceeded: [4 unused|mtu][quoted packet]
//   128/129 echo request/reply: [2 ident][2 seq][data]
//   133 router solicitation:  [4 reserved][options]
//   134 router advertisement: [1 cur hop limit][1 M|O flags][2 lifetime][4 reachable]
//                             [4 retrans][options]
//   135 neighbor solicitation: [4 reserved][16 target][options]
//   136 neighbor advertisement: [1 R|S|O flags][3 reserved][16 target][options]
// NDP options are [1 type][1 length in 8-byte units][...]; a zero length is malformed (§4.6) and
// each option is checked against the bytes left, so the walk is bounded by the message. Known:
// source/target link-layer address (1/2), prefix information (3, the first one kept), MTU (5).
// The IP-level checks of §7.1 (hop limit 255) are the interface's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

class icmpv6_packet {
 public:
  static constexpr std::size_t header_len = 4;

  static std::optional<icmpv6_packet> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < 8) return std::nullopt;  // every message has at least 4 body bytes
    return icmpv6_packet(b);
  }
  std::uint8_t type() const { return b_[0]; }
  std::uint8_t code() const { return b_[1]; }
  std::uint16_t checksum() const { return ztkit::wire::load_be16(b_.data() + 2); }
  std::span<const std::uint8_t> body() const { return b_.subspan(header_len); }
  std::span<const std::uint8_t> bytes() const { return b_; }
  bool verify_checksum(const ipv6_address& src, const ipv6_address& dst) const;

 private:
  explicit icmpv6_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

struct ndp_prefix_info {
  std::uint8_t prefix_len = 0;
  bool on_link = false;
  bool autonomous = false;
  std::uint32_t valid_lifetime = 0;
  std::uint32_t preferred_lifetime = 0;
  ipv6_address prefix;
  bool operator==(const ndp_prefix_info&) const = default;
};

struct ndp_options {
  std::optional<mac_address> source_ll;
  std::optional<mac_address> target_ll;
  std::optional<std::uint32_t> mtu;
  std::optional<ndp_prefix_info> prefix;

  // nullopt on a zero-length or overrunning option.
  static std::optional<ndp_options> parse(std::span<const std::uint8_t> b);
  std::size_t buffer_len() const;
  void emit(std::uint8_t* out) const;
  bool operator==(const ndp_options&) const = default;
};

struct icmpv6_repr {
  enum : std::uint8_t {
    dst_unreachable = 1, packet_too_big = 2, time_exceeded = 3,
    echo_request = 128, echo_reply = 129,
    router_solicit = 133, router_advert = 134, neighbor_solicit = 135, neighbor_advert = 136,
  };
  enum : std::uint8_t { code_no_route = 0, code_addr_unreachable = 3, code_port_unreachable = 4 };

  std::uint8_t type = echo_request;
  std::uint8_t code = 0;
  std::uint16_t ident = 0, seq = 0;          // echo
  std::uint32_t mtu = 0;                     // packet too big
  ipv6_address target;                       // NS, NA
  bool router = false, solicited = false, override_ = false;  // NA flags
  std::uint8_t cur_hop_limit = 0;            // RA
  std::uint8_t ra_flags = 0;                 // RA: 0x80 managed, 0x40 other
  std::uint16_t router_lifetime = 0;         // RA, seconds
  std::uint32_t reachable_time = 0, retrans_timer = 0;  // RA, ms
  ndp_options options;                       // RS, RA, NS, NA
  std::span<const std::uint8_t> data;        // echo data, or the quoted packet

  static bool is_ndp(std::uint8_t t) { return t >= router_solicit && t <= neighbor_advert; }

  // Verifies the checksum and the per-type rules above; unknown types do not parse.
  static std::optional<icmpv6_repr> parse(const icmpv6_packet& p, const ipv6_address& src,
                                          const ipv6_address& dst);
  std::size_t buffer_len() const;
  // Writes the message and its checksum (data may alias out's data area).
  void emit(std::span<std::uint8_t> out, const ipv6_address& src, const ipv6_address& dst) const;
};

}  // namespace ztkit::netstack::wire
