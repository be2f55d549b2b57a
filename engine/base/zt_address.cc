#include "engine/base/zt_address.h"

#include "engine/base/hex.h"

namespace ztkit {

zt_address zt_address::from_bytes(const std::uint8_t b[5]) {
  std::uint64_t v = 0;
  for (int i = 0; i < 5; ++i) v = (v << 8) | b[i];
  return zt_address(v);
}

void zt_address::to_bytes(std::uint8_t b[5]) const {
  for (int i = 0; i < 5; ++i) b[i] = static_cast<std::uint8_t>(value_ >> (8 * (4 - i)));
}

std::optional<zt_address> zt_address::parse(std::string_view text) {
  std::uint8_t b[5];
  if (!from_hex(text, b)) return std::nullopt;
  return from_bytes(b);
}

std::string zt_address::to_string() const {
  std::uint8_t b[5];
  to_bytes(b);
  return to_hex(b);
}

}  // namespace ztkit
