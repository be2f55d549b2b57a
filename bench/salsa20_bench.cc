// Salsa20/12 per variant against libsodium's crypto_stream_salsa2012_xor (reference C, the
// baseline ZeroTier-on-libsodium would get), in place on one buffer as the dataplane does.
// Names put the variant before the size so ratios read off directly:
//   BM_salsa2012/avx512/1400  vs  BM_salsa2012_libsodium/1400
// plus Salsa20/20 (identity hash) on the active variant vs crypto_stream_salsa20_xor.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include "engine/crypto/salsa20.h"

namespace {

using ztkit::crypto::salsa_variant;

constexpr std::int64_t sizes[] = {64, 1400, 2800, 9000};

struct fixture {
  std::vector<std::uint8_t> buf;
  std::uint8_t key[32];
  std::uint8_t nonce[8];
  explicit fixture(std::size_t n) : buf(n) {
    for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::uint8_t>(i * 7);
    for (int i = 0; i < 32; ++i) key[i] = static_cast<std::uint8_t>(i + 1);
    for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(0xa0 + i);
  }
};

void bm_variant(benchmark::State& state, salsa_variant v, int rounds) {
  if (!ztkit::crypto::salsa_variant_supported(v)) {
    state.SkipWithError("this CPU does not support this Salsa20 variant");
    return;
  }
  fixture f(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    ztkit::crypto::salsa_xor(v, rounds, f.buf.data(), f.buf.data(), f.buf.size(), f.key,
                             f.nonce);
    benchmark::DoNotOptimize(f.buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_salsa2012_libsodium(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("sodium_init failed");
    return;
  }
  fixture f(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    crypto_stream_salsa2012_xor(f.buf.data(), f.buf.data(), f.buf.size(), f.nonce, f.key);
    benchmark::DoNotOptimize(f.buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_salsa20_active(benchmark::State& state) {
  fixture f(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(std::string(to_string(ztkit::crypto::active_salsa_variant())));
  for (auto _ : state) {
    ztkit::crypto::salsa20_xor(f.buf.data(), f.buf.data(), f.buf.size(), f.key, f.nonce);
    benchmark::DoNotOptimize(f.buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_salsa20_libsodium(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("sodium_init failed");
    return;
  }
  fixture f(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    crypto_stream_salsa20_xor(f.buf.data(), f.buf.data(), f.buf.size(), f.nonce, f.key);
    benchmark::DoNotOptimize(f.buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

int register_all() {
  for (const salsa_variant v : {salsa_variant::portable, salsa_variant::sse2,
                                salsa_variant::avx2, salsa_variant::avx512}) {
    auto* b = benchmark::RegisterBenchmark(
        ("BM_salsa2012/" + std::string(to_string(v))).c_str(),
        [v](benchmark::State& s) { bm_variant(s, v, 12); });
    for (const auto n : sizes) b->Arg(n);
  }
  auto* sodium = benchmark::RegisterBenchmark("BM_salsa2012_libsodium", BM_salsa2012_libsodium);
  for (const auto n : sizes) sodium->Arg(n);
  benchmark::RegisterBenchmark("BM_salsa20/active", BM_salsa20_active)->Arg(1400);
  benchmark::RegisterBenchmark("BM_salsa20_libsodium", BM_salsa20_libsodium)->Arg(1400);
  return 0;
}

const int registered = register_all();

}  // namespace
