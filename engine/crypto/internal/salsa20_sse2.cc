// SSE2 Salsa20: four blocks per __m128i batch, two batches interleaved while more than four
// blocks remain; the last <= 64 bytes scalar. Compiled with -msse2 only.
#include "engine/crypto/internal/salsa20_impl.h"
#include "engine/crypto/internal/salsa20_x86_lanes.h"

namespace ztkit::crypto::internal {
namespace {

template <int Rounds>
void run(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
         const std::uint32_t state[16], std::uint64_t counter) {
  for (; len >= 512; len -= 512, in += 512, out += 512, counter += 8) {
    salsa_xor_lanes_x2<xmm_lanes, Rounds>(out, in, 512, state, counter);
  }
  if (len > 256) {
    salsa_xor_lanes_x2<xmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 64) {
    salsa_xor_lanes<xmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 0) {
    salsa_xor_scalar_tail<Rounds>(out, in, len, state, counter);
  }
}

}  // namespace

void salsa_xor_sse2(int rounds, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
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
