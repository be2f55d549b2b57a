#include "engine/crypto/c25519.h"

#include <cstring>

#include <sodium.h>

#include "engine/crypto/sha512.h"
#include "engine/crypto/sodium_init.h"

namespace ztkit::crypto {
namespace {

const internal::sodium_initializer sodium_ready;

// libsodium's Ed25519 secret key is seed || public; rebuild it from the seed each time so that
// nothing but the 64-byte ZeroTier private key is ever stored.
void ed25519_keypair_from_seed(const std::uint8_t seed[32], std::uint8_t pk[32],
                               secret_bytes<64>& sk) {
  crypto_sign_ed25519_seed_keypair(pk, sk.data(), seed);
}

}  // namespace

c25519_public c25519_public_from_private(const c25519_private& priv) {
  c25519_public pub;
  crypto_scalarmult_curve25519_base(pub.bytes.data(), priv.data());
  secret_bytes<64> sk;
  ed25519_keypair_from_seed(priv.data() + 32, pub.bytes.data() + 32, sk);
  return pub;
}

c25519_pair c25519_generate() {
  c25519_pair pair;
  randombytes_buf(pair.priv.data(), 64);
  pair.pub = c25519_public_from_private(pair.priv);
  return pair;
}

void c25519_refresh_dh_public(c25519_pair& pair) {
  crypto_scalarmult_curve25519_base(pair.pub.bytes.data(), pair.priv.data());
}

bool c25519_agree(const c25519_private& mine, const c25519_public& theirs, agreed_key& out) {
  secret_bytes<32> shared;
  // crypto_scalarmult_curve25519 clamps the scalar as ZeroTier's curve25519 does, and returns
  // -1 for an all-zero result (a low-order public key).
  if (crypto_scalarmult_curve25519(shared.data(), mine.data(), theirs.bytes.data()) != 0) {
    secure_wipe(out.data(), out.size());
    return false;
  }
  secret_bytes<64> digest;
  sha512(digest.data(), shared.data(), shared.size());
  std::memcpy(out.data(), digest.data(), 48);
  return true;
}

c25519_signature c25519_sign(const c25519_pair& pair, std::span<const std::uint8_t> msg) {
  std::uint8_t digest[64];
  sha512(digest, msg.data(), msg.size());
  c25519_signature sig;
  std::uint8_t pk[32];
  secret_bytes<64> sk;
  ed25519_keypair_from_seed(pair.priv.data() + 32, pk, sk);
  crypto_sign_ed25519_detached(sig.data(), nullptr, digest, 32, sk.data());
  std::memcpy(sig.data() + 64, digest, 32);
  return sig;
}

bool c25519_verify(const c25519_public& pub, std::span<const std::uint8_t> msg,
                   std::span<const std::uint8_t> signature) {
  if (signature.size() != c25519_signature_bytes) return false;
  std::uint8_t digest[64];
  sha512(digest, msg.data(), msg.size());
  // The digest half is public data; an ordinary compare is fine (C25519::verify does the same).
  if (std::memcmp(digest, signature.data() + 64, 32) != 0) return false;
  return crypto_sign_ed25519_verify_detached(signature.data(), digest, 32,
                                             pub.bytes.data() + 32) == 0;
}

}  // namespace ztkit::crypto
