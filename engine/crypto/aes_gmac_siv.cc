// AES-GMAC-SIV front end: key setup, variant selection, and dispatch to the variant tables
// in internal/ (../shared/docs/zerotier-protocol.md §2.3).
#include "engine/crypto/aes_gmac_siv.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <openssl/crypto.h>

#include "engine/base/cpu_features.h"
#include "engine/crypto/internal/aes_ops.h"

namespace ztkit::crypto {
namespace {

bool supported_cached(aes_variant v) {
  static const bool ok[3] = {aes_variant_supported(aes_variant::portable),
                             aes_variant_supported(aes_variant::aesni),
                             aes_variant_supported(aes_variant::vaes)};
  return ok[static_cast<int>(v)];
}

const internal::aes_ops& ops_of(aes_variant v) {
  if (!supported_cached(v)) {
    std::fprintf(stderr, "ztkit: AES variant %.*s used on a CPU without it\n",
                 static_cast<int>(to_string(v).size()), to_string(v).data());
    std::abort();
  }
  switch (v) {
#if defined(__x86_64__)
    case aes_variant::aesni:
      return internal::aesni_aes_ops;
    case aes_variant::vaes:
      return internal::vaes_aes_ops;
#endif
    default:
      return internal::portable_aes_ops;
  }
}

const internal::aes_ops& choose_ops() {
  const char* env = std::getenv("ZTKIT_AES_VARIANT");
  const std::string_view forced = env ? env : "";
  if (!forced.empty()) {
    const auto parsed = parse_aes_variant(forced);
    if (!parsed) {
      std::fprintf(stderr, "ztkit: ZTKIT_AES_VARIANT=%s is not portable|aesni|vaes; ignored\n",
                   env);
    } else if (!aes_variant_supported(*parsed)) {
      std::fprintf(stderr, "ztkit: ZTKIT_AES_VARIANT=%s is not supported by this CPU; ignored\n",
                   env);
    }
  }
  return ops_of(choose_aes_variant(forced));
}

// Chosen once (thread-safe static initialisation); the hot path then reads one pointer.
const internal::aes_ops& active_ops() {
  static const internal::aes_ops& ops = choose_ops();
  return ops;
}

}  // namespace

std::string_view to_string(aes_variant v) {
  switch (v) {
    case aes_variant::portable:
      return "portable";
    case aes_variant::aesni:
      return "aesni";
    case aes_variant::vaes:
      return "vaes";
  }
  return "?";
}

std::optional<aes_variant> parse_aes_variant(std::string_view name) {
  for (auto v : {aes_variant::portable, aes_variant::aesni, aes_variant::vaes})
    if (name == to_string(v)) return v;
  return std::nullopt;
}

bool aes_variant_supported(aes_variant v) {
  const cpu_features& f = host_cpu_features();
  switch (v) {
    case aes_variant::portable:
      return true;
#if defined(__x86_64__)
    case aes_variant::aesni:
      return f.aesni && f.pclmulqdq && f.ssse3;
    case aes_variant::vaes:
      return f.aesni && f.pclmulqdq && f.vaes && f.vpclmulqdq && f.avx512f && f.avx512bw &&
             f.avx512vl;
#endif
    default:
      (void)f;
      return false;
  }
}

aes_variant best_aes_variant() {
  if (aes_variant_supported(aes_variant::vaes)) return aes_variant::vaes;
  if (aes_variant_supported(aes_variant::aesni)) return aes_variant::aesni;
  return aes_variant::portable;
}

aes_variant choose_aes_variant(std::string_view forced) {
  const auto parsed = parse_aes_variant(forced);
  if (parsed && aes_variant_supported(*parsed)) return *parsed;
  return best_aes_variant();
}

aes_variant active_aes_variant() {
  const internal::aes_ops* ops = &active_ops();
#if defined(__x86_64__)
  if (ops == &internal::vaes_aes_ops) return aes_variant::vaes;
  if (ops == &internal::aesni_aes_ops) return aes_variant::aesni;
#endif
  return aes_variant::portable;
}

// ---- Keys ----

aes256_key::aes256_key(const std::uint8_t key[32]) { internal::expand_aes256_key(key, s_); }
aes256_key::~aes256_key() { OPENSSL_cleanse(&s_, sizeof s_); }

aes_gmac_key::aes_gmac_key(const std::uint8_t key[32]) : aes_(key) {
  internal::compute_ghash_powers(aes_.schedule(), h_);
}
aes_gmac_key::~aes_gmac_key() { OPENSSL_cleanse(&h_, sizeof h_); }

aes_gmac_siv_key::aes_gmac_siv_key(const std::uint8_t k0[32], const std::uint8_t k1[32])
    : k0_(k0), k1_(k1) {}

aes_gmac_siv_key aes_gmac_siv_key::from_key48(const std::uint8_t key48[48]) {
  // Derived into a local that is wiped before return; only the expanded keys survive.
  struct derived {
    std::uint8_t k0[48], k1[48];
    ~derived() { OPENSSL_cleanse(this, sizeof *this); }
  } d;
  kbkdf_hmac_sha384(key48, '0', 0, d.k0);
  kbkdf_hmac_sha384(key48, '1', 0, d.k1);
  return aes_gmac_siv_key(d.k0, d.k1);
}

// ---- Packet operations and primitives ----

void gmac_siv_encrypt(aes_variant v, const aes_gmac_siv_key& key, const std::uint8_t iv[8],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len,
                      std::uint8_t tag_out[16]) {
  ops_of(v).siv_encrypt(key.k0().aes().schedule(), key.k0().powers(), key.k1().schedule(), iv,
                        aad16, payload, len, tag_out);
}
bool gmac_siv_decrypt(aes_variant v, const aes_gmac_siv_key& key, const std::uint8_t tag[16],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len) {
  return ops_of(v).siv_decrypt(key.k0().aes().schedule(), key.k0().powers(),
                               key.k1().schedule(), tag, aad16, payload, len);
}
void aes256_encrypt_block(aes_variant v, const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]) {
  ops_of(v).encrypt_block(key.schedule(), in, out);
}
void aes256_decrypt_block(aes_variant v, const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]) {
  ops_of(v).decrypt_block(key.schedule(), in, out);
}
void aes256_ctr32_xor(aes_variant v, const aes256_key& key,
                      const std::uint8_t counter_block[16], std::uint8_t* data,
                      std::size_t len) {
  ops_of(v).ctr32_xor(key.schedule(), counter_block, data, len);
}
void aes256_gmac(aes_variant v, const aes_gmac_key& key, const std::uint8_t iv12[12],
                 const std::uint8_t* aad, std::size_t aad_len, std::uint8_t tag_out[16]) {
  ops_of(v).gmac(key.aes().schedule(), key.powers(), iv12, aad, aad_len, tag_out);
}

void gmac_siv_encrypt(const aes_gmac_siv_key& key, const std::uint8_t iv[8],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len,
                      std::uint8_t tag_out[16]) {
  active_ops().siv_encrypt(key.k0().aes().schedule(), key.k0().powers(), key.k1().schedule(),
                           iv, aad16, payload, len, tag_out);
}
bool gmac_siv_decrypt(const aes_gmac_siv_key& key, const std::uint8_t tag[16],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len) {
  return active_ops().siv_decrypt(key.k0().aes().schedule(), key.k0().powers(),
                                  key.k1().schedule(), tag, aad16, payload, len);
}
void aes256_encrypt_block(const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]) {
  active_ops().encrypt_block(key.schedule(), in, out);
}
void aes256_decrypt_block(const aes256_key& key, const std::uint8_t in[16],
                          std::uint8_t out[16]) {
  active_ops().decrypt_block(key.schedule(), in, out);
}
void aes256_ctr32_xor(const aes256_key& key, const std::uint8_t counter_block[16],
                      std::uint8_t* data, std::size_t len) {
  active_ops().ctr32_xor(key.schedule(), counter_block, data, len);
}
void aes256_gmac(const aes_gmac_key& key, const std::uint8_t iv12[12], const std::uint8_t* aad,
                 std::size_t aad_len, std::uint8_t tag_out[16]) {
  active_ops().gmac(key.aes().schedule(), key.powers(), iv12, aad, aad_len, tag_out);
}

}  // namespace ztkit::crypto
