// Packet armor / dearmor (engine/wire/armor.h) per whole packet of 64, 1400 and 2800 bytes
// (header included), suite 1 (Salsa20/12 + Poly1305) and suite 3 (AES-GMAC-SIV), against
// baselines built from library calls doing the same work in the same binary:
//   suite 1: libsodium crypto_stream_salsa2012_xor over [64 zero bytes][verb+payload] (the
//            first keystream block yields the Poly1305 key, as ZeroTier does; libsodium has no
//            block-counter variant of Salsa20/12, so the packet goes through a scratch buffer)
//            + crypto_onetimeauth_poly1305, with the same per-packet key mangling;
//   suite 3: OpenSSL EVP AES-256-GCM on a pre-keyed context (16 bytes AAD, payload encrypted in
//            place, 16-byte tag): one pass of CTR + GHASH, the work GMAC-SIV does in two passes.
// Names: BM_packet_<op>/<suite>/<size> for ztkit, BM_packet_<op>_<baseline>/<size> for the
// baselines, op = armor, dearmor, armor_dearmor (the figure of merit). Dearmor
// benchmarks (ours and baselines alike) first copy a freshly armored packet into the buffer,
// so every dearmor verifies and decrypts for real.
#include <cstdlib>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "engine/wire/armor.h"

namespace {

using namespace ztkit::wire;

constexpr std::uint8_t key48[48] = {0x78, 0xbf, 0x96, 0x68, 0xcf, 0x1b, 0x9b, 0x6f, 0x67, 0x1a,
                                    0x58, 0x09, 0x37, 0xbc, 0xd2, 0xf3, 0x4f, 0xb8, 0x32, 0xf7,
                                    0x3c, 0x6d, 0x1d, 0x51, 0x40, 0x3c, 0x9d, 0x6c, 0xaf, 0x6c,
                                    0x79, 0x13, 0xe8, 0xab, 0xad, 0xc1, 0xdb, 0x37, 0x6c, 0x57,
                                    0x9f, 0xe4, 0x73, 0x28, 0x75, 0x72, 0xfa, 0x54};

std::vector<std::uint8_t> make_packet(std::size_t n) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 7 + 3);
  p[packet_idx_flags] = 0;
  return p;
}

void apply_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {64, 1400, 2800}) b->Arg(n);
}

// ---- ztkit ---------------------------------------------------------------------------------------

void bm_armor(benchmark::State& state, cipher_suite s) {
  const peer_keys keys(key48);
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(armor(p, keys, s));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_dearmor(benchmark::State& state, cipher_suite s) {
  const peer_keys keys(key48);
  auto armored = make_packet(static_cast<std::size_t>(state.range(0)));
  if (armor(armored, keys, s) != armor_result::ok) state.SkipWithError("armor failed");
  auto p = armored;
  for (auto _ : state) {
    std::memcpy(p.data(), armored.data(), p.size());
    if (dearmor(p, keys, 0) != armor_result::ok) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_armor_dearmor(benchmark::State& state, cipher_suite s) {
  const peer_keys keys(key48);
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(armor(p, keys, s));
    if (dearmor(p, keys, 0) != armor_result::ok) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// ---- libsodium baseline for suite 1 ----------------------------------------------------------------

struct sodium_salsa {
  std::uint8_t k[32];
  std::vector<std::uint8_t> scratch;  // [64 zero][verb+payload]
  explicit sodium_salsa(std::size_t n) : scratch(n + 64) {
    if (sodium_init() < 0) std::abort();
    std::memcpy(k, key48, 32);
  }
  void mangle(const std::uint8_t* pkt, std::size_t len, std::uint8_t out[32]) const {
    for (int i = 0; i < 18; ++i) out[i] = k[i] ^ pkt[i];
    out[18] = k[18] ^ (pkt[18] & 0xf8);
    out[19] = k[19] ^ static_cast<std::uint8_t>(len);
    out[20] = k[20] ^ static_cast<std::uint8_t>(len >> 8);
    std::memcpy(out + 21, k + 21, 11);
  }
  void armor(std::uint8_t* pkt, std::size_t len) {
    pkt[18] = static_cast<std::uint8_t>((pkt[18] & 0xc7) | 0x08 | 0x80);
    std::uint8_t mk[32];
    mangle(pkt, len, mk);
    const std::size_t bl = len - 27;
    std::memset(scratch.data(), 0, 64);
    std::memcpy(scratch.data() + 64, pkt + 27, bl);
    crypto_stream_salsa2012_xor(scratch.data(), scratch.data(), bl + 64, pkt, mk);
    std::memcpy(pkt + 27, scratch.data() + 64, bl);
    std::uint8_t tag[16];
    crypto_onetimeauth_poly1305(tag, pkt + 27, bl, scratch.data());
    std::memcpy(pkt + 19, tag, 8);
  }
  bool dearmor(std::uint8_t* pkt, std::size_t len) {
    std::uint8_t mk[32];
    mangle(pkt, len, mk);
    const std::size_t bl = len - 27;
    std::memset(scratch.data(), 0, 64);
    std::memcpy(scratch.data() + 64, pkt + 27, bl);
    crypto_stream_salsa2012_xor(scratch.data(), scratch.data(), bl + 64, pkt, mk);
    std::uint8_t tag[16];
    crypto_onetimeauth_poly1305(tag, pkt + 27, bl, scratch.data());
    if (sodium_memcmp(tag, pkt + 19, 8) != 0) return false;
    std::memcpy(pkt + 27, scratch.data() + 64, bl);
    return true;
  }
};

void BM_packet_armor_libsodium(benchmark::State& state) {
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  sodium_salsa s(p.size());
  for (auto _ : state) {
    s.armor(p.data(), p.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_packet_dearmor_libsodium(benchmark::State& state) {
  auto armored = make_packet(static_cast<std::size_t>(state.range(0)));
  sodium_salsa s(armored.size());
  s.armor(armored.data(), armored.size());
  auto p = armored;
  for (auto _ : state) {
    std::memcpy(p.data(), armored.data(), p.size());
    if (!s.dearmor(p.data(), p.size())) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_packet_armor_dearmor_libsodium(benchmark::State& state) {
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  sodium_salsa s(p.size());
  for (auto _ : state) {
    s.armor(p.data(), p.size());
    if (!s.dearmor(p.data(), p.size())) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// ---- OpenSSL baseline for suite 3 -----------------------------------------------------------------

struct openssl_gcm {
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  openssl_gcm() {
    EVP_EncryptInit_ex(enc, EVP_aes_256_gcm(), nullptr, key48, nullptr);
    EVP_DecryptInit_ex(dec, EVP_aes_256_gcm(), nullptr, key48, nullptr);
  }
  ~openssl_gcm() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
  static void aad_of(const std::uint8_t* pkt, std::uint8_t aad[16]) {
    std::memcpy(aad, pkt + 8, 11);
    aad[10] &= 0xf8;
    std::memset(aad + 11, 0, 5);
  }
  void armor(std::uint8_t* pkt, std::size_t len) {
    pkt[18] = static_cast<std::uint8_t>((pkt[18] & 0x47) | 0x18);
    std::uint8_t iv[12] = {}, aad[16], tag[16];
    std::memcpy(iv, pkt, 8);
    aad_of(pkt, aad);
    int n = 0;
    EVP_EncryptInit_ex(enc, nullptr, nullptr, nullptr, iv);
    EVP_EncryptUpdate(enc, nullptr, &n, aad, 16);
    EVP_EncryptUpdate(enc, pkt + 27, &n, pkt + 27, static_cast<int>(len - 27));
    EVP_EncryptFinal_ex(enc, tag, &n);
    EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, 16, tag);
    std::memcpy(pkt + 19, tag, 8);  // the IV stays in bytes 0..7; half the tag travels
    std::memcpy(tag_, tag, 16);
  }
  bool dearmor(std::uint8_t* pkt, std::size_t len) {
    std::uint8_t iv[12] = {}, aad[16];
    std::memcpy(iv, pkt, 8);
    aad_of(pkt, aad);
    int n = 0;
    EVP_DecryptInit_ex(dec, nullptr, nullptr, nullptr, iv);
    EVP_DecryptUpdate(dec, nullptr, &n, aad, 16);
    EVP_DecryptUpdate(dec, pkt + 27, &n, pkt + 27, static_cast<int>(len - 27));
    EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_GCM_SET_TAG, 16, tag_);
    return EVP_DecryptFinal_ex(dec, nullptr, &n) == 1;
  }
  std::uint8_t tag_[16] = {};
};

void BM_packet_armor_openssl_gcm(benchmark::State& state) {
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  openssl_gcm g;
  for (auto _ : state) {
    g.armor(p.data(), p.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_packet_dearmor_openssl_gcm(benchmark::State& state) {
  auto armored = make_packet(static_cast<std::size_t>(state.range(0)));
  openssl_gcm g;
  g.armor(armored.data(), armored.size());
  auto p = armored;
  for (auto _ : state) {
    std::memcpy(p.data(), armored.data(), p.size());
    if (!g.dearmor(p.data(), p.size())) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_packet_armor_dearmor_openssl_gcm(benchmark::State& state) {
  auto p = make_packet(static_cast<std::size_t>(state.range(0)));
  openssl_gcm g;
  for (auto _ : state) {
    g.armor(p.data(), p.size());
    if (!g.dearmor(p.data(), p.size())) state.SkipWithError("dearmor failed");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK_CAPTURE(bm_armor, salsa, cipher_suite::poly1305_salsa2012)->Name("BM_packet_armor/salsa")->Apply(apply_sizes);
BENCHMARK(BM_packet_armor_libsodium)->Apply(apply_sizes);
BENCHMARK_CAPTURE(bm_armor, aes, cipher_suite::aes_gmac_siv)->Name("BM_packet_armor/aes")->Apply(apply_sizes);
BENCHMARK(BM_packet_armor_openssl_gcm)->Apply(apply_sizes);
BENCHMARK_CAPTURE(bm_dearmor, salsa, cipher_suite::poly1305_salsa2012)->Name("BM_packet_dearmor/salsa")->Apply(apply_sizes);
BENCHMARK(BM_packet_dearmor_libsodium)->Apply(apply_sizes);
BENCHMARK_CAPTURE(bm_dearmor, aes, cipher_suite::aes_gmac_siv)->Name("BM_packet_dearmor/aes")->Apply(apply_sizes);
BENCHMARK(BM_packet_dearmor_openssl_gcm)->Apply(apply_sizes);
BENCHMARK_CAPTURE(bm_armor_dearmor, salsa, cipher_suite::poly1305_salsa2012)->Name("BM_packet_armor_dearmor/salsa")->Apply(apply_sizes);
BENCHMARK(BM_packet_armor_dearmor_libsodium)->Apply(apply_sizes);
BENCHMARK_CAPTURE(bm_armor_dearmor, aes, cipher_suite::aes_gmac_siv)->Name("BM_packet_armor_dearmor/aes")->Apply(apply_sizes);
BENCHMARK(BM_packet_armor_dearmor_openssl_gcm)->Apply(apply_sizes);

}  // namespace
