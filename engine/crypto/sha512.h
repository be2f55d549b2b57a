// SHA-512 (libsodium crypto_hash_sha512): identity hashing, key agreement, signatures.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ztkit::crypto {

inline constexpr std::size_t sha512_bytes = 64;

void sha512(std::uint8_t out[64], const void* data, std::size_t len);
std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> data);

}  // namespace ztkit::crypto
