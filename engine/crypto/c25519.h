// ZeroTier's "C25519" key pair, on libsodium (ZeroTierOne 1.14 node/C25519.hpp):
//   public  = X25519 public (32) || Ed25519 public (32)
//   private = X25519 secret (32) || Ed25519 seed (32)
// Agreement: SHA-512(X25519(my secret, their X25519 public))[0..48) (agree.json).
// Signature (96 bytes): Ed25519(seed, SHA-512(msg)[0..32)) || SHA-512(msg)[0..32) (sign.json);
// verification requires the embedded digest to match before checking the Ed25519 part.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/crypto/secure.h"

namespace ztkit::crypto {

inline constexpr std::size_t c25519_public_bytes = 64;
inline constexpr std::size_t c25519_private_bytes = 64;
inline constexpr std::size_t c25519_signature_bytes = 96;
inline constexpr std::size_t c25519_agreed_key_bytes = 48;

struct c25519_public {
  std::array<std::uint8_t, 64> bytes{};
  bool operator==(const c25519_public&) const = default;
};

struct c25519_private : secret_bytes<64> {};

using c25519_signature = std::array<std::uint8_t, 96>;
using agreed_key = secret_bytes<48>;

struct c25519_pair {
  c25519_public pub;
  c25519_private priv;
};

// Derives both public halves from a private key (X25519 base point, Ed25519 from the seed).
c25519_public c25519_public_from_private(const c25519_private& priv);

// A fresh random key pair (libsodium's CSPRNG).
c25519_pair c25519_generate();

// Re-derives the X25519 public half after the private X25519 half changed (used by identity
// generation, which walks private keys the way C25519::generateSatisfying does).
void c25519_refresh_dh_public(c25519_pair& pair);

// Key agreement. False if their X25519 key is a low-order point (the shared secret would be
// all zeros: a hostile peer forcing a known key); the caller must then refuse the peer.
[[nodiscard]] bool c25519_agree(const c25519_private& mine, const c25519_public& theirs,
                                agreed_key& out);

// Deterministic 96-byte ZeroTier signature.
c25519_signature c25519_sign(const c25519_pair& pair, std::span<const std::uint8_t> msg);

// Verifies a 96-byte signature; any other length is false.
[[nodiscard]] bool c25519_verify(const c25519_public& pub, std::span<const std::uint8_t> msg,
                                 std::span<const std::uint8_t> signature);

}  // namespace ztkit::crypto
