// AVX-512 Salsa20: sixteen blocks per __m512i batch, rotations with vprold, two batches
// interleaved while more than 16 blocks remain. A shorter tail goes eight-wide (ymm),
// four-wide (xmm) or, for the last <= 64 bytes, scalar, whichever covers it with least work.
// Compiled with -mavx512f -mavx512bw -mavx512vl only.

// GCC 12 warns about the _mm512_undefined_epi32() inside its own vprold/vshufi32x4
// intrinsics (GCC bug 105593, fixed in 13); the warning is about the header, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "engine/crypto/internal/salsa20_impl.h"
#include "engine/crypto/internal/salsa20_x86_lanes.h"

namespace ztkit::crypto::internal {
namespace {

template <int Rounds>
void run(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
         const std::uint32_t state[16], std::uint64_t counter) {
  for (; len >= 2048; len -= 2048, in += 2048, out += 2048, counter += 32) {
    salsa_xor_lanes_x2<zmm_lanes, Rounds>(out, in, 2048, state, counter);
  }
  if (len > 1024) {
    salsa_xor_lanes_x2<zmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 512) {
    salsa_xor_lanes<zmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 256) {
    salsa_xor_lanes<ymm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 64) {
    salsa_xor_lanes<xmm_lanes, Rounds>(out, in, len, state, counter);
  } else if (len > 0) {
    salsa_xor_scalar_tail<Rounds>(out, in, len, state, counter);
  }
}

}  // namespace

void salsa_xor_avx512(int rounds, std::uint8_t* out, const std::uint8_t* in,
                      std::size_t len, const std::uint8_t* key, const std::uint8_t* nonce,
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
