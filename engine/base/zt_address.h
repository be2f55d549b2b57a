// A ZeroTier address: 40 bits, shown as 10 hex digits. 0 and addresses whose first byte is
// 0xff are reserved (0xff marks fragments on the wire; Address::isReserved in ZeroTierOne).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ztkit {

class zt_address {
 public:
  static constexpr std::size_t wire_bytes = 5;
  static constexpr std::uint64_t mask = 0xffffffffffULL;

  constexpr zt_address() = default;
  constexpr explicit zt_address(std::uint64_t v) : value_(v & mask) {}

  // Big-endian 5 bytes, as on the wire.
  static zt_address from_bytes(const std::uint8_t b[5]);
  void to_bytes(std::uint8_t b[5]) const;

  // Exactly 10 hex digits (either case); nullopt otherwise.
  static std::optional<zt_address> parse(std::string_view text);
  std::string to_string() const;  // 10 lower-case hex digits

  constexpr std::uint64_t value() const { return value_; }
  constexpr bool reserved() const { return value_ == 0 || (value_ >> 32) == 0xff; }

  auto operator<=>(const zt_address&) const = default;

 private:
  std::uint64_t value_ = 0;
};

}  // namespace ztkit
