// AVX2 Salsa20: eight blocks per __m256i batch, two batches interleaved while more than
// eight blocks remain (it spills some of the 32 state vectors, and is still faster: the
// rounds are latency-bound). A tail of four blocks or less goes four-wide (VEX xmm), the
// last <= 64 bytes scalar. Compiled with -mavx2 only.
#include "engine/crypto/internal/salsa20_impl.h"
#include "engine/crypto/internal/salsa20_x86_lanes.h"

namespace ztkit::crypto::internal {
namespace {

template <int Rounds>
void run(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
         const std::uint32_t state[16], std::uint64_t counter) {
  for (; len >= 1024; len -= 1024, in += 1024, out += 1024, counter += 16) {
    salsa_xor_lanes_x2<ymm_lanes, Rounds>(out, in, 1024, state, counter);
  }
  if (len > 512) {
    salsa_xor_lanes_x2<ymm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 256) {
    salsa_xor_lanes<ymm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 64) {
    salsa_xor_lanes<xmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 0) {
    salsa_xor_scalar_tail<Rounds>(out, in, len, state, counter);
  }
}

}  // namespace

void salsa_xor_avx2(int rounds, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                    const std::uint8_t* key, const std::uint8_t* nonce,
                    std::uint64_t counter) {
  std::uint32_t state[16];
  salsa_init_state(state, key, nonce);
  if (rounds == 20) {
    run<20>(out, in, len, state, counter);
  } else {
    run<12>(out, in, len, state, counter);
  }
  explicit_bzero(state, sizeof state);
}

}  // namespace ztkit::crypto::internal
