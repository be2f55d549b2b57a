// AES-GMAC-SIV, ZeroTier cipher suite 3 (ZeroTierOne 1.14 node/AES.hpp GMACSIVEncryptor /
// GMACSIVDecryptor, Packet::armor/dearmor; ../shared/docs/zerotier-protocol.md §2.3), and the
// AES-256 block, CTR and GMAC primitives under it, on AES-NI + PCLMULQDQ (VAES/VPCLMULQDQ
// where present), with a portable fallback.
//
// In terms of standard primitives, for an 8-byte packet ID N, 16 bytes of additional data A
// (11 header bytes with hop bits cleared + 5 zero bytes) and payload P:
//   T = GCM tag (key K0, 12-byte IV N||0000, no plaintext, AAD = A||P)
//   S = AES-ECB(K1, N || (T[0..8) ^ T[8..16)))
//   C = AES-CTR(K1, counter block = S with S[12] &= 0x7f, 32-bit big-endian counter) of P
// The 16-byte tag S travels split: bytes 0..7 of the packet and bytes 19..26.
//
// Variants (all held to the same known-answer tests and to OpenSSL in
// tests/crypto/aes_gmac_siv_test.cc): portable C++, aesni (AES-NI + PCLMULQDQ, 8 blocks in
// flight) and vaes (VAES + VPCLMULQDQ on AVX-512, 16 blocks in flight). The best supported
// one is picked once, on first use; ZTKIT_AES_VARIANT=portable|aesni|vaes forces one (an
// unknown or unsupported name is reported on stderr once and ignored).
//
// Packet operations work in place, allocate nothing and make no system calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/crypto/internal/aes_key_state.h"

namespace ztkit::crypto {

// KBKDF in counter mode with HMAC-SHA384, as ZeroTier's KBKDFHMACSHA384 (agree.json):
// output = HMAC-SHA384(key48, BE32(iter=0) 'Z' 'T' label 0x00 context 0x00 0x00 0x01 0x80).
void kbkdf_hmac_sha384(const std::uint8_t key48[48], char label, char context,
                       std::uint8_t out48[48]);

inline constexpr std::size_t aes256_key_bytes = 32;
inline constexpr std::size_t aes_block_bytes = 16;
inline constexpr std::size_t gmac_siv_tag_bytes = 16;
inline constexpr std::size_t gmac_siv_iv_bytes = 8;
inline constexpr std::size_t gmac_siv_aad_bytes = 16;

enum class aes_variant { portable, aesni, vaes };

std::string_view to_string(aes_variant v);
std::optional<aes_variant> parse_aes_variant(std::string_view name);

// True if this CPU (and OS) can run `v`. portable is always supported.
bool aes_variant_supported(aes_variant v);

// The fastest supported variant (vaes, then aesni, then portable).
aes_variant best_aes_variant();

// Pure selection rule: `forced` (the environment variable's value, or empty) wins when it names
// a supported variant, otherwise the best supported one.
aes_variant choose_aes_variant(std::string_view forced);

// The variant used by the calls without an explicit variant (chosen on first call, then fixed).
aes_variant active_aes_variant();

// An expanded AES-256 key: encryption round keys and the equivalent-inverse-cipher decryption
// round keys (FIPS-197 §5.3.5). Wiped on destruction; not copyable (key material stays put).
class aes256_key {
 public:
  explicit aes256_key(const std::uint8_t key[32]);
  ~aes256_key();
  aes256_key(const aes256_key&) = delete;
  aes256_key& operator=(const aes256_key&) = delete;

  const internal::aes256_schedule& schedule() const { return s_; }

 private:
  internal::aes256_schedule s_;
};

// An AES-256 key used for GMAC: the key plus H = AES(K, 0^128) and H^1..H^16 for aggregated
// GHASH (NIST SP 800-38D §6.4). Wiped on destruction.
class aes_gmac_key {
 public:
  explicit aes_gmac_key(const std::uint8_t key[32]);
  ~aes_gmac_key();
  aes_gmac_key(const aes_gmac_key&) = delete;
  aes_gmac_key& operator=(const aes_gmac_key&) = delete;

  const aes256_key& aes() const { return aes_; }
  const internal::ghash_powers& powers() const { return h_; }

 private:
  aes256_key aes_;
  internal::ghash_powers h_;
};

// The two AES-256 keys of a peer, K0 (GMAC) and K1 (ECB + CTR), expanded once when the peer's
// key is agreed, then used read-only from any thread. Key material is wiped on destruction.
class aes_gmac_siv_key {
 public:
  aes_gmac_siv_key(const std::uint8_t k0[32], const std::uint8_t k1[32]);
  // K0/K1 = first 32 bytes of KBKDF-HMAC-SHA384(key48, label '0'/'1', context 0) (§2.1).
  // Returned as a prvalue (guaranteed elision), so it works although the class cannot move.
  static aes_gmac_siv_key from_key48(const std::uint8_t key48[48]);
  ~aes_gmac_siv_key() = default;  // members wipe themselves
  aes_gmac_siv_key(const aes_gmac_siv_key&) = delete;
  aes_gmac_siv_key& operator=(const aes_gmac_siv_key&) = delete;

  const aes_gmac_key& k0() const { return k0_; }
  const aes256_key& k1() const { return k1_; }

 private:
  aes_gmac_key k0_;
  aes256_key k1_;
};

// ---- Packet operations (§2.3), on the active variant ----------------------------------------

// Encrypts payload[0..len) in place and writes the 16-byte SIV tag S. iv = the random packet
// ID N; aad16 = header bytes 8..18 with hop bits cleared, then 5 zero bytes.
void gmac_siv_encrypt(const aes_gmac_siv_key& key, const std::uint8_t iv[8],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len,
                      std::uint8_t tag_out[16]);

// Decrypts payload[0..len) in place and authenticates it against `tag` (packet bytes 0..7 ‖
// 19..26). Returns false if the tag does not match; the payload is then garbage and the packet
// must be dropped (as ZeroTierOne does).
[[nodiscard]] bool gmac_siv_decrypt(const aes_gmac_siv_key& key, const std::uint8_t tag[16],
                                    const std::uint8_t aad16[16], std::uint8_t* payload,
                                    std::size_t len);

// ---- Primitives, on the active variant --------------------------------------------------------

void aes256_encrypt_block(const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]);
void aes256_decrypt_block(const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]);

// data ^= AES-CTR keystream from `counter_block`; the last 4 bytes are a big-endian 32-bit
// counter incremented per block, wrapping mod 2^32 (ZeroTier AES::CTR; the 12-byte prefix never
// changes). In place.
void aes256_ctr32_xor(const aes256_key& key, const std::uint8_t counter_block[16],
                      std::uint8_t* data, std::size_t len);

// GCM tag (NIST SP 800-38D) with a 12-byte IV, additional data `aad` and an empty plaintext.
void aes256_gmac(const aes_gmac_key& key, const std::uint8_t iv12[12], const std::uint8_t* aad,
                 std::size_t aad_len, std::uint8_t tag_out[16]);

// ---- The same on an explicit variant (tests, benchmarks). The variant must be supported
// (aes_variant_supported); calling an unsupported one is a programming error (std::abort). ----

void gmac_siv_encrypt(aes_variant v, const aes_gmac_siv_key& key, const std::uint8_t iv[8],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len,
                      std::uint8_t tag_out[16]);
[[nodiscard]] bool gmac_siv_decrypt(aes_variant v, const aes_gmac_siv_key& key,
                                    const std::uint8_t tag[16], const std::uint8_t aad16[16],
                                    std::uint8_t* payload, std::size_t len);
void aes256_encrypt_block(aes_variant v, const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]);
void aes256_decrypt_block(aes_variant v, const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]);
void aes256_ctr32_xor(aes_variant v, const aes256_key& key,
                      const std::uint8_t counter_block[16], std::uint8_t* data,
                      std::size_t len);
void aes256_gmac(aes_variant v, const aes_gmac_key& key, const std::uint8_t iv12[12],
                 const std::uint8_t* aad, std::size_t aad_len, std::uint8_t tag_out[16]);

}  // namespace ztkit::crypto
