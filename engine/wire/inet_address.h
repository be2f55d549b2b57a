// InetAddress, ZeroTier's wire form of an IP endpoint (ZeroTierOne 1.14 node/InetAddress.hpp
// serialize/deserialize; mac_multicast.json `inet_address_serialization`):
//   type 0: nil (1 byte)
//   type 4: [4 IPv4][2 port]      (7 bytes)
//   type 6: [16 IPv6][2 port]     (19 bytes)
// Readers also skip type 1 and 2 (7 bytes) and type 3 ([2 length] + length) for forward
// compatibility; they decode as nil. In netconf static IPs and routes the "port" is the prefix
// length.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/wire/bytes.h"

namespace ztkit::wire {

struct inet_address {
  enum class family : std::uint8_t { nil = 0, ipv4 = 4, ipv6 = 6 };

  family fam = family::nil;
  std::array<std::uint8_t, 16> ip{};  // IPv4 uses the first 4 bytes; the rest stay zero
  std::uint16_t port = 0;

  static inet_address v4(std::array<std::uint8_t, 4> a, std::uint16_t port);
  static inet_address v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port);

  bool is_nil() const { return fam == family::nil; }

  // Reads one address; a truncated one or an unknown type byte fails the reader.
  static inet_address parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;

  // "10.147.17.55/9993", "fd80:56c2::1/88", "nil".
  std::string to_string() const;
  // Inverse of to_string (an IP with "/port", or a bare IP with port 0).
  static std::optional<inet_address> from_string(std::string_view s);

  bool operator==(const inet_address&) const = default;
};

}  // namespace ztkit::wire
