// Secrets in memory: wiping that the compiler cannot elide, and a fixed-size byte holder that
// wipes itself on destruction. Private keys, agreed keys and per-packet keys live in these.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ztkit::crypto {

// Overwrites `len` bytes at `p` with zeros (libsodium sodium_memzero: not optimised away).
void secure_wipe(void* p, std::size_t len);

// Constant-time equality of two byte ranges of the same length (sodium_memcmp).
bool constant_time_equal(const void* a, const void* b, std::size_t len);

template <std::size_t N>
struct secret_bytes {
  std::array<std::uint8_t, N> bytes{};

  secret_bytes() = default;
  secret_bytes(const secret_bytes&) = default;
  secret_bytes& operator=(const secret_bytes&) = default;
  ~secret_bytes() { secure_wipe(bytes.data(), N); }

  std::uint8_t* data() { return bytes.data(); }
  const std::uint8_t* data() const { return bytes.data(); }
  static constexpr std::size_t size() { return N; }
};

}  // namespace ztkit::crypto
