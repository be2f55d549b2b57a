#include "ztkit/selfcheck.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <sodium.h>

#include "api/internal/selfcheck_vectors.h"
#include "engine/base/hex.h"
#include "engine/crypto/aes_gmac_siv.h"
#include "engine/crypto/identity.h"
#include "engine/crypto/poly1305.h"
#include "engine/crypto/salsa20.h"

namespace ztkit {
namespace {

namespace kat = internal::kat;
using bytes = std::vector<std::uint8_t>;

bytes unhex(std::string_view s) { return from_hex(s).value_or(bytes{}); }

selfcheck_item check(std::string name, bool passed, std::string detail_if_failed = "mismatch") {
  return {std::move(name), passed, passed ? std::string{} : std::move(detail_if_failed)};
}

void check_salsa(std::vector<selfcheck_item>& items) {
  using namespace crypto;
  for (salsa_variant v : {salsa_variant::portable, salsa_variant::sse2, salsa_variant::avx2,
                          salsa_variant::avx512}) {
    if (!salsa_variant_supported(v)) continue;
    bytes buf = unhex(kat::salsa2012_plaintext);
    salsa_xor(v, 12, buf.data(), buf.data(), buf.size(), unhex(kat::salsa2012_key).data(),
              unhex(kat::salsa2012_iv).data());
    items.push_back(check(fmt::format("salsa20/12 {}", to_string(v)),
                          buf == unhex(kat::salsa2012_ciphertext)));
    buf = unhex(kat::salsa20_plaintext);
    salsa_xor(v, 20, buf.data(), buf.data(), buf.size(), unhex(kat::salsa20_key).data(),
              unhex(kat::salsa20_iv).data());
    items.push_back(check(fmt::format("salsa20/20 {}", to_string(v)),
                          buf == unhex(kat::salsa20_ciphertext)));
  }
}

void check_aes(std::vector<selfcheck_item>& items) {
  using namespace crypto;
  const bytes k0 = unhex(kat::aes_k0), k1 = unhex(kat::aes_k1);
  const aes_gmac_siv_key key(k0.data(), k1.data());
  const bytes plain = unhex(kat::siv_plaintext_packet);
  const bytes armored = unhex(kat::siv_armored_packet);
  for (aes_variant v : {aes_variant::portable, aes_variant::aesni, aes_variant::vaes}) {
    if (!aes_variant_supported(v)) continue;
    // Header bytes 8..18 of the armored packet (flags carry cipher 3, hops 0) + 5 zero bytes.
    std::uint8_t aad[16] = {};
    std::memcpy(aad, armored.data() + 8, 11);
    aad[10] &= 0xf8;
    bytes payload(plain.begin() + 27, plain.end());
    std::uint8_t tag[16];
    gmac_siv_encrypt(v, key, plain.data(), aad, payload.data(), payload.size(), tag);
    const bool enc_ok = std::equal(tag, tag + 8, armored.begin()) &&
                        std::equal(tag + 8, tag + 16, armored.begin() + 19) &&
                        std::equal(payload.begin(), payload.end(), armored.begin() + 27);
    const bool dec_ok = gmac_siv_decrypt(v, key, tag, aad, payload.data(), payload.size()) &&
                        std::equal(payload.begin(), payload.end(), plain.begin() + 27);
    items.push_back(check(fmt::format("aes-gmac-siv {}", to_string(v)), enc_ok && dec_ok));
  }
}

void check_c25519_and_identity(std::vector<selfcheck_item>& items) {
  using namespace crypto;
  const auto signer = identity::from_string(kat::sign_secret);
  bool sign_ok = false;
  if (signer.ok()) {
    const auto sig = signer->sign(unhex(kat::sign_message));
    sign_ok = sig.ok() && bytes(sig->begin(), sig->end()) == unhex(kat::sign_signature) &&
              signer->verify(unhex(kat::sign_message), *sig);
  }
  items.push_back(check("c25519 signature", sign_ok));

  const auto a = identity::from_string(kat::agree_a_secret);
  const auto b = identity::from_string(kat::agree_b_secret);
  bool agree_ok = false;
  if (a.ok() && b.ok()) {
    agreed_key ab, ba;
    agree_ok = a->agree(*b, ab).ok() && b->agree(*a, ba).ok() && ab.bytes == ba.bytes &&
               bytes(ab.bytes.begin(), ab.bytes.end()) == unhex(kat::agree_key48);
  }
  items.push_back(check("c25519 key agreement", agree_ok));

  const status valid = a.ok() ? a->validate() : a.status();
  items.push_back(check("identity memory-hard hash", valid.ok(), valid.message()));

  bytes key48 = unhex(kat::agree_key48), k0(48), k1(48);
  kbkdf_hmac_sha384(key48.data(), '0', '\0', k0.data());
  kbkdf_hmac_sha384(key48.data(), '1', '\0', k1.data());
  items.push_back(check("kbkdf-hmac-sha384",
                        bytes(k0.begin(), k0.begin() + 32) == unhex(kat::aes_k0) &&
                            bytes(k1.begin(), k1.begin() + 32) == unhex(kat::aes_k1)));
}

void check_poly1305(std::vector<selfcheck_item>& items) {
  using namespace crypto;
  const bytes msg = unhex(kat::poly1305_message);
  for (poly1305_variant v : {poly1305_variant::libsodium, poly1305_variant::ifma}) {
    if (!poly1305_variant_supported(v)) continue;
    std::uint8_t tag[16];
    crypto::poly1305(v, tag, msg.data(), msg.size(), unhex(kat::poly1305_key).data());
    items.push_back(check(fmt::format("poly1305 {}", to_string(v)),
                          bytes(tag, tag + 16) == unhex(kat::poly1305_tag)));
  }
}

}  // namespace

bool selfcheck_report::ok() const {
  return !items.empty() &&
         std::all_of(items.begin(), items.end(), [](const auto& i) { return i.passed; });
}

selfcheck_report run_crypto_selfcheck() {
  selfcheck_report report;
  report.salsa_variant = std::string(crypto::to_string(crypto::active_salsa_variant()));
  report.aes_variant = std::string(crypto::to_string(crypto::active_aes_variant()));
  report.poly1305_variant = std::string(crypto::to_string(crypto::active_poly1305_variant()));
  check_salsa(report.items);
  check_poly1305(report.items);
  check_c25519_and_identity(report.items);
  check_aes(report.items);
  return report;
}

}  // namespace ztkit
