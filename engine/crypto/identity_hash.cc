#include "engine/crypto/identity_hash.h"

#include <cstring>
#include <memory>

#include "engine/crypto/salsa20.h"
#include "engine/crypto/sha512.h"

namespace ztkit::crypto {
namespace {

constexpr std::size_t table_words = identity_hash_memory_bytes / 8;
constexpr std::uint64_t table_blocks = identity_hash_memory_bytes / 64;

std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::array<std::uint8_t, 64> identity_memory_hard_hash(const std::uint8_t public_key[64]) {
  std::array<std::uint8_t, 64> digest;
  sha512(digest.data(), public_key, 64);

  // The cipher is keyed once from the first digest; later changes to the digest do not rekey.
  std::uint8_t key[32];
  std::uint8_t nonce[8];
  std::memcpy(key, digest.data(), 32);
  std::memcpy(nonce, digest.data() + 32, 8);

  // 1.14 fills the table one 64-byte crypt20() call at a time, each block first copied from
  // the previous one. That equals the whole keystream in one wide call followed by a running
  // XOR, which lets the SIMD Salsa20 do the bulk of the work.
  auto table = std::make_unique<std::uint8_t[]>(identity_hash_memory_bytes);
  std::memset(table.get(), 0, identity_hash_memory_bytes);
  salsa20_xor(table.get(), table.get(), identity_hash_memory_bytes, key, nonce, 0);
  for (std::size_t i = 64; i < identity_hash_memory_bytes; ++i) table[i] ^= table[i - 64];

  std::uint64_t counter = table_blocks;
  std::uint8_t* t = table.get();
  for (std::size_t w = 0; w < table_words; w += 2) {
    const std::size_t i1 = load_be64(t + 8 * w) % 8;
    const std::size_t i2 = load_be64(t + 8 * (w + 1)) % table_words;
    std::uint8_t tmp[8];
    std::memcpy(tmp, t + 8 * i2, 8);
    std::memcpy(t + 8 * i2, digest.data() + 8 * i1, 8);
    std::memcpy(digest.data() + 8 * i1, tmp, 8);
    salsa20_xor(digest.data(), digest.data(), 64, key, nonce, counter++);
  }
  return digest;
}

}  // namespace ztkit::crypto
