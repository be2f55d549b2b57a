// Plain-data key state shared by every AES variant. It lives inside the public key classes
// (engine/crypto/aes_gmac_siv.h) so that keys need no allocation; only the variants read it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ztkit::crypto::internal {

inline constexpr std::size_t aes256_rounds = 14;

// FIPS-197 §5.2 key expansion, bytes in the standard order (what AESENC/VAESENC take).
// dec = the equivalent inverse cipher's round keys (§5.3.5): enc reversed, InvMixColumns
// applied to rounds 1..13 — what AESDEC takes, and what the portable decryptor uses too.
struct aes256_schedule {
  alignas(64) std::uint8_t enc[aes256_rounds + 1][16];
  alignas(16) std::uint8_t dec[aes256_rounds + 1][16];
};

// GHASH key powers for aggregated reduction. Each element is byte-reversed (the form that
// PCLMULQDQ code works in after a PSHUFB byte swap, Gueron & Kounavis, "Intel Carry-Less
// Multiplication Instruction and its Usage for Computing the GCM Mode", §4).
// rev[j] = reverse(H^(count - j)) for j < count, so rev[count-1] = H and a run of k blocks
// multiplies by rev[count-k .. count). The zero entries past the end let a 4-lane ZMM load
// run over without reading out of bounds and contribute nothing (0·x = 0).
struct ghash_powers {
  static constexpr std::size_t count = 16;
  alignas(64) std::uint8_t rev[count + 4][16];
};

}  // namespace ztkit::crypto::internal
