// TCP headers (RFC 9293 §3.1) and their options: MSS (RFC 9293 §3.2), window scale and
// timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and SACK blocks (RFC 2018 §2, §3), NOP and
// end-of-list; options of unknown kind are skipped by their length.
//
//   [2 src port][2 dst port][4 seq][4 ack][4 bits data offset, 4 reserved][1 flags]
//   [2 window][2 checksum][2 urgent pointer][options, (data offset - 5) * 4 bytes][payload]
//
// new_checked proves 20 <= data offset * 4 <= bytes present; everything after the options is
// the payload (the IP layer trims the span to the datagram). tcp_repr::parse verifies the
// checksum over the IPv4 or IPv6 pseudo-header (RFC 9293 §3.1) and walks the options; any
// malformed option (a length that runs past the header, a length below 2, a known option with
// the wrong length) rejects the whole segment with a tcp_error saying which.
//
// The repr holds the header only: the payload travels beside it as a span, so a socket can
// hand out a header and a view into its send buffer and the interface copies the payload once,
// straight into the frame (emit copies it after the header and checksums both).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

enum class tcp_error {
  ok,
  truncated,     // fewer than 20 bytes, or fewer than the data offset says
  bad_offset,    // data offset below 5
  bad_checksum,
  bad_option,    // an option's length is < 2, runs past the header, or is wrong for its kind
  bad_flags,     // SYN with RST or FIN
  bad_port,      // source or destination port 0
};
const char* to_string(tcp_error e);

namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flags

namespace tcp_option {
inline constexpr std::uint8_t eol = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
}  // namespace tcp_option

class tcp_packet {
 public:
  static constexpr std::size_t header_len_min = 20;
  static constexpr std::size_t header_len_max = 60;

  static std::optional<tcp_packet> new_checked(std::span<const std::uint8_t> b,
                                               tcp_error* why = nullptr);

  std::uint16_t src_port() const { return ztkit::wire::load_be16(b_.data()); }
  std::uint16_t dst_port() const { return ztkit::wire::load_be16(b_.data() + 2); }
  std::uint32_t seq() const { return ztkit::wire::load_be32(b_.data() + 4); }
  std::uint32_t ack() const { return ztkit::wire::load_be32(b_.data() + 8); }
  std::size_t header_len() const { return static_cast<std::size_t>(b_[12] >> 4) * 4; }
  std::uint8_t flags() const { return b_[13]; }
  std::uint16_t window() const { return ztkit::wire::load_be16(b_.data() + 14); }
  std::uint16_t checksum() const { return ztkit::wire::load_be16(b_.data() + 16); }
  std::uint16_t urgent() const { return ztkit::wire::load_be16(b_.data() + 18); }
  std::span<const std::uint8_t> options() const {
    return b_.subspan(header_len_min, header_len() - header_len_min);
  }
  std::span<const std::uint8_t> payload() const { return b_.subspan(header_len()); }
  std::span<const std::uint8_t> bytes() const { return b_; }

  bool verify_checksum(const ipv4_address& src, const ipv4_address& dst) const;
  bool verify_checksum(const ipv6_address& src, const ipv6_address& dst) const;

 private:
  explicit tcp_packet(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> b_;
};

// A SACK block: the sequence numbers [left, right) received (RFC 2018 §3).
struct tcp_sack_block {
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  bool operator==(const tcp_sack_block&) const = default;
};

struct tcp_repr {
  static constexpr std::size_t max_sack_blocks = 4;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;  // the field as sent (unscaled)
  std::uint16_t urgent = 0;
  // Options; absent ones are nullopt / false / zero blocks.
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;  // as received (a socket clamps it to 14)
  bool sack_permitted = false;
  std::uint8_t sack_count = 0;
  std::array<tcp_sack_block, max_sack_blocks> sack{};
  struct timestamps {
    std::uint32_t val = 0;
    std::uint32_t ecr = 0;
    bool operator==(const timestamps&) const = default;
  };
  std::optional<timestamps> ts;

  bool has(std::uint8_t f) const { return (flags & f) != 0; }
  // Sequence space the segment occupies (RFC 9293 §3.4: SYN and FIN count one each).
  std::uint32_t seq_len(std::size_t payload_len) const {
    return static_cast<std::uint32_t>(payload_len) + (has(tcp_flags::syn) ? 1 : 0) +
           (has(tcp_flags::fin) ? 1 : 0);
  }

  // Parses the header and options and verifies the checksum over the pseudo-header.
  static tcp_error parse(const tcp_packet& p, const ipv4_address& src, const ipv4_address& dst,
                         tcp_repr& out);
  static tcp_error parse(const tcp_packet& p, const ipv6_address& src, const ipv6_address& dst,
                         tcp_repr& out);
  // Header and options only (no checksum check): for callers that verified it already.
  static tcp_error parse_header(const tcp_packet& p, tcp_repr& out);

  // The header's length with options, padded to 4 bytes. SACK blocks beyond what fits in 40
  // option bytes are not sent (3 fit beside timestamps, 4 without).
  std::size_t header_len() const;
  // Writes the header (options, checksum) into out[0, header_len()) and copies the payload,
  // given in up to two parts (a ring buffer's wrap), right after it. `out` must hold
  // header_len() + payload length bytes. Returns that length.
  std::size_t emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload1,
                   std::span<const std::uint8_t> payload2, const ipv4_address& src,
                   const ipv4_address& dst) const;
  std::size_t emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload1,
                   std::span<const std::uint8_t> payload2, const ipv6_address& src,
                   const ipv6_address& dst) const;
  std::size_t emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                   const ipv4_address& src, const ipv4_address& dst) const {
    return emit(out, payload, {}, src, dst);
  }
  std::size_t emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                   const ipv6_address& src, const ipv6_address& dst) const {
    return emit(out, payload, {}, src, dst);
  }

  bool operator==(const tcp_repr&) const = default;

 private:
  // Writes header + options with a zero checksum; returns the header length.
  std::size_t write_header(std::uint8_t* out) const;
};

}  // namespace ztkit::netstack::wire
