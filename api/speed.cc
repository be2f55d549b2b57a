// The quick speed summary of `zt selfcheck`: each ztkit cipher against its reference library in
// the same process, interleaved round by round, best round kept.
#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "engine/crypto/aes_gmac_siv.h"
#include "engine/crypto/poly1305.h"
#include "engine/crypto/salsa20.h"
#include "ztkit/selfcheck.h"

namespace ztkit {
namespace {

using clock = std::chrono::steady_clock;

// Runs `op` repeatedly for about `slice`, returns bytes per second.
double rate(const std::function<void()>& op, std::size_t bytes_per_op, clock::duration slice) {
  std::size_t ops = 0;
  const auto start = clock::now();
  auto now = start;
  do {
    for (int i = 0; i < 64; ++i) op();
    ops += 64;
    now = clock::now();
  } while (now - start < slice);
  const double seconds = std::chrono::duration<double>(now - start).count();
  return static_cast<double>(ops * bytes_per_op) / seconds;
}

speed_sample compare(std::string name, std::string baseline, const std::function<void()>& ours,
                     const std::function<void()>& theirs, std::size_t bytes,
                     clock::duration slice, int rounds) {
  speed_sample s{std::move(name), std::move(baseline)};
  for (int r = 0; r < rounds; ++r) {
    s.gbytes_per_s = std::max(s.gbytes_per_s, rate(ours, bytes, slice) / 1e9);
    s.baseline_gbytes_per_s = std::max(s.baseline_gbytes_per_s, rate(theirs, bytes, slice) / 1e9);
  }
  return s;
}

}  // namespace

std::vector<speed_sample> measure_crypto_speed(std::size_t packet_bytes,
                                               std::chrono::milliseconds budget) {
  constexpr int rounds = 5;
  constexpr int pairs = 3;
  const auto slice = std::chrono::duration_cast<clock::duration>(budget) / (rounds * pairs * 2);
  std::vector<std::uint8_t> buf(packet_bytes, 0xa5);
  std::uint8_t key[32], nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8}, k1[32], iv12[12] = {}, tag[16];
  randombytes_buf(key, sizeof key);
  randombytes_buf(k1, sizeof k1);

  std::vector<speed_sample> out;
  out.push_back(compare(
      fmt::format("Salsa20/12 ({})", crypto::to_string(crypto::active_salsa_variant())),
      "libsodium crypto_stream_salsa2012_xor",
      [&] { crypto::salsa2012_xor(buf.data(), buf.data(), buf.size(), key, nonce); },
      [&] { crypto_stream_salsa2012_xor(buf.data(), buf.data(), buf.size(), nonce, key); },
      packet_bytes, slice, rounds));

  out.push_back(compare(
      fmt::format("Poly1305 ({})", crypto::to_string(crypto::active_poly1305_variant())),
      "libsodium crypto_onetimeauth_poly1305",
      [&] { crypto::poly1305(tag, buf.data(), buf.size(), key); },
      [&] { crypto_onetimeauth_poly1305(tag, buf.data(), buf.size(), key); }, packet_bytes,
      slice, rounds));

  // The suite-3 packet operation against OpenSSL's AES-256-GCM on a pre-keyed context: both
  // encrypt the payload once and authenticate it once.
  const crypto::aes_gmac_siv_key siv(key, k1);
  EVP_CIPHER_CTX* gcm = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(gcm, EVP_aes_256_gcm(), nullptr, key, iv12);
  std::uint8_t aad[16] = {};
  out.push_back(compare(
      fmt::format("AES-GMAC-SIV ({})", crypto::to_string(crypto::active_aes_variant())),
      "OpenSSL AES-256-GCM (EVP)",
      [&] { crypto::gmac_siv_encrypt(siv, nonce, aad, buf.data(), buf.size(), tag); },
      [&] {
        int n = 0;
        EVP_EncryptInit_ex(gcm, nullptr, nullptr, nullptr, iv12);
        EVP_EncryptUpdate(gcm, nullptr, &n, aad, sizeof aad);
        EVP_EncryptUpdate(gcm, buf.data(), &n, buf.data(), static_cast<int>(buf.size()));
        EVP_EncryptFinal_ex(gcm, tag, &n);
        EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16, tag);
      },
      packet_bytes, slice, rounds));
  EVP_CIPHER_CTX_free(gcm);
  sodium_memzero(key, sizeof key);
  sodium_memzero(k1, sizeof k1);
  return out;
}

}  // namespace ztkit
