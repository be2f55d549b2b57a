#include "engine/crypto/sha512.h"

#include <sodium.h>

namespace ztkit::crypto {

void sha512(std::uint8_t out[64], const void* data, std::size_t len) {
  crypto_hash_sha512(out, static_cast<const unsigned char*>(data), len);
}

std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 64> out;
  sha512(out.data(), data.data(), data.size());
  return out;
}

}  // namespace ztkit::crypto
