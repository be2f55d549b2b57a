// Poly1305 throughput at ZeroTier packet sizes: ztkit's active variant (BM_poly1305_ztkit),
// each variant explicitly (BM_poly1305/ifma, BM_poly1305/libsodium) and libsodium's
// crypto_onetimeauth_poly1305 called directly.
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include "engine/crypto/poly1305.h"

namespace {

void packet_sizes(benchmark::internal::Benchmark* b) {
  for (int n : {64, 1400, 2800, 9000}) b->Arg(n);
}

void BM_poly1305_ztkit(benchmark::State& state) {
  std::vector<std::uint8_t> msg(state.range(0), 0x5a);
  std::uint8_t key[32] = {1, 2, 3};
  std::uint8_t mac[8];
  for (auto _ : state) {
    ztkit::crypto::poly1305_mac8(mac, msg.data(), msg.size(), key);
    benchmark::DoNotOptimize(mac);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_poly1305_ztkit)->Apply(packet_sizes);

void BM_poly1305_libsodium_onetimeauth(benchmark::State& state) {
  std::vector<std::uint8_t> msg(state.range(0), 0x5a);
  std::uint8_t key[32] = {1, 2, 3};
  std::uint8_t tag[16];
  for (auto _ : state) {
    crypto_onetimeauth_poly1305(tag, msg.data(), msg.size(), key);
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_poly1305_libsodium_onetimeauth)->Apply(packet_sizes);

// The variants side by side (BM_poly1305/ifma is skipped where the CPU lacks IFMA).
void BM_poly1305_variant(benchmark::State& state, ztkit::crypto::poly1305_variant v) {
  if (!ztkit::crypto::poly1305_variant_supported(v)) {
    state.SkipWithError("variant not supported by this CPU");
    return;
  }
  std::vector<std::uint8_t> msg(state.range(0), 0x5a);
  std::uint8_t key[32] = {1, 2, 3};
  std::uint8_t tag[16];
  for (auto _ : state) {
    ztkit::crypto::poly1305(v, tag, msg.data(), msg.size(), key);
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK_CAPTURE(BM_poly1305_variant, ifma, ztkit::crypto::poly1305_variant::ifma)
    ->Name("BM_poly1305/ifma")
    ->Apply(packet_sizes);
BENCHMARK_CAPTURE(BM_poly1305_variant, libsodium, ztkit::crypto::poly1305_variant::libsodium)
    ->Name("BM_poly1305/libsodium")
    ->Apply(packet_sizes);

}  // namespace
