// IP addresses and socket addresses of the public API (managed addresses on ZeroTier networks).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ztkit {

struct IpAddress {
  enum class Family : std::uint8_t { none = 0, v4 = 4, v6 = 6 };
  Family family = Family::none;          // none: "any address" where a local address is wanted
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddress x;
    x.family = Family::v4;
    x.bytes = {a, b, c, d};
    return x;
  }
  // "10.147.17.2", "fd80::1" (no brackets); nullopt if not an address.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool is_any() const { return family == Family::none; }
  auto operator<=>(const IpAddress&) const = default;
};

// An address with its prefix length: a managed address as the network config gives it.
struct IpPrefix {
  IpAddress ip;
  std::uint8_t prefix_len = 0;
  std::string to_string() const;  // "10.147.17.2/24"
  auto operator<=>(const IpPrefix&) const = default;
};

struct SocketAddress {
  IpAddress ip;
  std::uint16_t port = 0;

  // "10.147.17.2:80", "[fd80::1]:80"; nullopt if malformed.
  static std::optional<SocketAddress> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const SocketAddress&) const = default;
};

}  // namespace ztkit
