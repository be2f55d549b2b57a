// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): a < b when the signed 32-bit
// difference a - b is negative. Valid while the two are within 2^31 of each other.
#pragma once

#include <cstdint>

namespace ztkit::netstack::tcp_seq {

inline bool lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
inline bool le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }
inline bool gt(std::uint32_t a, std::uint32_t b) { return lt(b, a); }
inline bool ge(std::uint32_t a, std::uint32_t b) { return le(b, a); }
inline std::uint32_t max(std::uint32_t a, std::uint32_t b) { return lt(a, b) ? b : a; }
inline std::uint32_t min(std::uint32_t a, std::uint32_t b) { return lt(a, b) ? a : b; }
// a <= x < b
inline bool in_range(std::uint32_t x, std::uint32_t a, std::uint32_t b) {
  return le(a, x) && lt(x, b);
}

}  // namespace ztkit::netstack::tcp_seq
