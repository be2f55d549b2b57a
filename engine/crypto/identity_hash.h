// The memory-hard hash that binds a ZeroTier address to a public key (ZeroTierOne 1.14
// node/Identity.cpp _computeMemoryHardHash; identities.json `memory_hard_digest`):
//   digest = SHA-512(public key 64)
//   s = Salsa20/20 keyed with digest[0..32), nonce digest[32..40), counter from 0
//   2 MiB table: block 0 = s's block 0, block n = block n-1 XOR s's block n
//   then 131072 rounds: i1 = BE64(table[2r]) % 8, i2 = BE64(table[2r+1]) % 262144,
//        swap digest word i1 with table word i2, encrypt the 64-byte digest with s's next block
// An identity is valid iff digest[0] < 17 and digest[59..64) equals its address.
#pragma once

#include <array>
#include <cstdint>

namespace ztkit::crypto {

inline constexpr std::size_t identity_hash_memory_bytes = 2 * 1024 * 1024;
inline constexpr std::uint8_t identity_hash_first_byte_limit = 17;

// Allocates and frees its 2 MiB table per call; identity checks are rate-limited and rare.
std::array<std::uint8_t, 64> identity_memory_hard_hash(const std::uint8_t public_key[64]);

}  // namespace ztkit::crypto
