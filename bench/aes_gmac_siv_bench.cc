// AES-GMAC-SIV (cipher suite 3) throughput at ZeroTier packet sizes: 64 (small control packet),
// 1400 (one UDP datagram's payload), 2800 (default virtual MTU) and 9000 (jumbo, fragmented),
// ours per variant against OpenSSL libcrypto: AES-256-GCM with a pre-keyed context (the usual
// AEAD baseline, one pass) and the same SIV composed from pre-keyed EVP contexts (what we would
// ship if we used libcrypto on the data path). Contexts are keyed once; per call only IVs are
// set, as a per-peer key cache would do.
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "engine/crypto/aes_gmac_siv.h"

namespace {

using namespace ztkit::crypto;

constexpr std::array<std::int64_t, 4> sizes = {64, 1400, 2800, 9000};
constexpr std::uint8_t key0[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::uint8_t key1[32] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87};
constexpr std::uint8_t aad16[16] = {0xa3, 0x5c, 0xc3, 0xba, 0x44, 0x3d, 0x55, 0x81, 0x1c, 0x5e, 0x18};
constexpr std::uint8_t iv8[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x01};

std::vector<std::uint8_t> payload(std::size_t n) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return p;
}

bool skip_unsupported(benchmark::State& state, aes_variant v) {
  if (aes_variant_supported(v)) return false;
  state.SkipWithError("variant not supported by this CPU");
  return true;
}

void bm_siv_encrypt(benchmark::State& state, aes_variant v) {
  if (skip_unsupported(state, v)) return;
  const aes_gmac_siv_key key(key0, key1);
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t tag[16];
  for (auto _ : state) {
    gmac_siv_encrypt(v, key, iv8, aad16, p.data(), p.size(), tag);
    benchmark::DoNotOptimize(tag);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The buffer is left decrypted after the first call, so later calls authenticate garbage and
// fail; the work is the same (no early exit), which is what is measured.
void bm_siv_decrypt(benchmark::State& state, aes_variant v) {
  if (skip_unsupported(state, v)) return;
  const aes_gmac_siv_key key(key0, key1);
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t tag[16];
  gmac_siv_encrypt(v, key, iv8, aad16, p.data(), p.size(), tag);
  for (auto _ : state) {
    bool ok = gmac_siv_decrypt(v, key, tag, aad16, p.data(), p.size());
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_ctr(benchmark::State& state, aes_variant v) {
  if (skip_unsupported(state, v)) return;
  const aes256_key key(key1);
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t ctr[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 0x33, 4, 5, 6};
  for (auto _ : state) {
    aes256_ctr32_xor(v, key, ctr, p.data(), p.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_gmac(benchmark::State& state, aes_variant v) {
  if (skip_unsupported(state, v)) return;
  const aes_gmac_key key(key0);
  const auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t iv12[12] = {1, 2, 3}, tag[16];
  for (auto _ : state) {
    aes256_gmac(v, key, iv12, p.data(), p.size(), tag);
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// ---- OpenSSL libcrypto baselines ----

struct evp {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  evp(const EVP_CIPHER* cipher, const std::uint8_t* key, int enc) {
    EVP_CipherInit_ex(c, cipher, nullptr, key, nullptr, enc);
    EVP_CIPHER_CTX_set_padding(c, 0);
  }
  ~evp() { EVP_CIPHER_CTX_free(c); }
};

void BM_openssl_aes256gcm(benchmark::State& state) {
  evp gcm(EVP_aes_256_gcm(), key0, 1);
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  const std::uint8_t iv12[12] = {1, 2, 3};
  std::uint8_t tag[16];
  int n = 0;
  for (auto _ : state) {
    EVP_EncryptInit_ex(gcm.c, nullptr, nullptr, nullptr, iv12);
    EVP_EncryptUpdate(gcm.c, nullptr, &n, aad16, 16);
    EVP_EncryptUpdate(gcm.c, p.data(), &n, p.data(), static_cast<int>(p.size()));
    EVP_EncryptFinal_ex(gcm.c, tag, &n);
    EVP_CIPHER_CTX_ctrl(gcm.c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    benchmark::DoNotOptimize(tag);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_openssl_aes256ctr(benchmark::State& state) {
  evp ctr(EVP_aes_256_ctr(), key1, 1);
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  const std::uint8_t iv[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 0x33, 4, 5, 6};
  int n = 0;
  for (auto _ : state) {
    EVP_EncryptInit_ex(ctr.c, nullptr, nullptr, nullptr, iv);
    EVP_EncryptUpdate(ctr.c, p.data(), &n, p.data(), static_cast<int>(p.size()));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_openssl_gmac(benchmark::State& state) {
  evp gcm(EVP_aes_256_gcm(), key0, 1);
  const auto p = payload(static_cast<std::size_t>(state.range(0)));
  const std::uint8_t iv12[12] = {1, 2, 3};
  std::uint8_t tag[16];
  int n = 0;
  for (auto _ : state) {
    EVP_EncryptInit_ex(gcm.c, nullptr, nullptr, nullptr, iv12);
    EVP_EncryptUpdate(gcm.c, nullptr, &n, p.data(), static_cast<int>(p.size()));
    EVP_EncryptFinal_ex(gcm.c, tag, &n);
    EVP_CIPHER_CTX_ctrl(gcm.c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// §2.3 with libcrypto: GCM tag over aad16 ‖ P (K0), ECB (K1), CTR (K1).
struct openssl_siv {
  evp gcm{EVP_aes_256_gcm(), key0, 1};
  evp ecb_enc{EVP_aes_256_ecb(), key1, 1};
  evp ecb_dec{EVP_aes_256_ecb(), key1, 0};
  evp ctr{EVP_aes_256_ctr(), key1, 1};

  void t_of(const std::uint8_t iv[8], const std::uint8_t* p, std::size_t len, std::uint8_t t[8]) {
    std::uint8_t iv12[12] = {}, tag[16];
    std::memcpy(iv12, iv, 8);
    int n = 0;
    EVP_EncryptInit_ex(gcm.c, nullptr, nullptr, nullptr, iv12);
    EVP_EncryptUpdate(gcm.c, nullptr, &n, aad16, 16);
    if (len) EVP_EncryptUpdate(gcm.c, nullptr, &n, p, static_cast<int>(len));
    EVP_EncryptFinal_ex(gcm.c, tag, &n);
    EVP_CIPHER_CTX_ctrl(gcm.c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    for (int i = 0; i < 8; ++i) t[i] = tag[i] ^ tag[8 + i];
  }
  void ctr_xor(const std::uint8_t s[16], std::uint8_t* p, std::size_t len) {
    std::uint8_t c[16];
    std::memcpy(c, s, 16);
    c[12] &= 0x7f;
    int n = 0;
    EVP_EncryptInit_ex(ctr.c, nullptr, nullptr, nullptr, c);
    EVP_EncryptUpdate(ctr.c, p, &n, p, static_cast<int>(len));
  }
  void encrypt(std::uint8_t* p, std::size_t len, std::uint8_t tag[16]) {
    std::uint8_t nt[16];
    std::memcpy(nt, iv8, 8);
    t_of(iv8, p, len, nt + 8);
    int n = 0;
    EVP_EncryptUpdate(ecb_enc.c, tag, &n, nt, 16);
    ctr_xor(tag, p, len);
  }
  bool decrypt(const std::uint8_t tag[16], std::uint8_t* p, std::size_t len) {
    ctr_xor(tag, p, len);
    std::uint8_t nt[16], t[8];
    int n = 0;
    EVP_DecryptUpdate(ecb_dec.c, nt, &n, tag, 16);
    t_of(nt, p, len, t);
    std::uint8_t diff = 0;
    for (int i = 0; i < 8; ++i) diff |= static_cast<std::uint8_t>(t[i] ^ nt[8 + i]);
    return diff == 0;
  }
};

void BM_openssl_gmac_siv_encrypt(benchmark::State& state) {
  openssl_siv siv;
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t tag[16];
  for (auto _ : state) {
    siv.encrypt(p.data(), p.size(), tag);
    benchmark::DoNotOptimize(tag);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_openssl_gmac_siv_decrypt(benchmark::State& state) {
  openssl_siv siv;
  auto p = payload(static_cast<std::size_t>(state.range(0)));
  std::uint8_t tag[16];
  siv.encrypt(p.data(), p.size(), tag);
  for (auto _ : state) {
    bool ok = siv.decrypt(tag, p.data(), p.size());
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void apply_sizes(benchmark::internal::Benchmark* b) {
  for (auto s : sizes) b->Arg(s);
}

BENCHMARK(BM_openssl_aes256gcm)->Apply(apply_sizes);
BENCHMARK(BM_openssl_gmac_siv_encrypt)->Apply(apply_sizes);
BENCHMARK(BM_openssl_gmac_siv_decrypt)->Apply(apply_sizes);
BENCHMARK(BM_openssl_aes256ctr)->Apply(apply_sizes);
BENCHMARK(BM_openssl_gmac)->Apply(apply_sizes);

// BM_gmac_siv_encrypt/<variant>/<size> etc., one family per variant.
const bool registered = [] {
  for (auto v : {aes_variant::portable, aes_variant::aesni, aes_variant::vaes}) {
    const std::string n(to_string(v));
    benchmark::RegisterBenchmark(("BM_gmac_siv_encrypt/" + n).c_str(), bm_siv_encrypt, v)
        ->Apply(apply_sizes);
    benchmark::RegisterBenchmark(("BM_gmac_siv_decrypt/" + n).c_str(), bm_siv_decrypt, v)
        ->Apply(apply_sizes);
    benchmark::RegisterBenchmark(("BM_aes_ctr/" + n).c_str(), bm_ctr, v)->Apply(apply_sizes);
    benchmark::RegisterBenchmark(("BM_gmac/" + n).c_str(), bm_gmac, v)->Apply(apply_sizes);
  }
  return true;
}();

}  // namespace
