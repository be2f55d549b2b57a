// Identity costs: generation (hashcash search: many memory-hard hashes), one memory-hard hash
// (what validating a new peer's HELLO costs), signing and agreement.
#include <benchmark/benchmark.h>

#include "engine/crypto/identity.h"
#include "engine/crypto/identity_hash.h"

namespace {

using ztkit::crypto::identity;

void BM_identity_generate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(identity::generate());
}
BENCHMARK(BM_identity_generate)->Unit(benchmark::kMillisecond)->Iterations(8);

void BM_identity_memory_hard_hash(benchmark::State& state) {
  std::uint8_t pub[64] = {7};
  for (auto _ : state) benchmark::DoNotOptimize(ztkit::crypto::identity_memory_hard_hash(pub));
}
BENCHMARK(BM_identity_memory_hard_hash)->Unit(benchmark::kMillisecond);

void BM_identity_sign_1400(benchmark::State& state) {
  const identity id = identity::generate();
  std::vector<std::uint8_t> msg(1400, 1);
  for (auto _ : state) benchmark::DoNotOptimize(id.sign(msg));
}
BENCHMARK(BM_identity_sign_1400)->Unit(benchmark::kMicrosecond);

void BM_identity_agree(benchmark::State& state) {
  const identity a = identity::generate();
  const identity b = identity::generate();
  ztkit::crypto::agreed_key k;
  for (auto _ : state) benchmark::DoNotOptimize(a.agree(b, k));
}
BENCHMARK(BM_identity_agree)->Unit(benchmark::kMicrosecond);

}  // namespace
